#include "adapters/git/repository.hpp"

#include <filesystem>

#include "adapters/git/error.hpp"
#include "adapters/git/repository_detail.hpp"

namespace fs = std::filesystem;

namespace fluxd::git {

namespace {

using detail::normalize_path;
using detail::oid_text;
using detail::random_hex;

const char* const mirror_refspecs[] = {
    "+refs/heads/*:refs/heads/*",
    "+refs/tags/*:refs/tags/*",
    "+refs/notes/*:refs/notes/*",
};

std::string config_url(git_repository* repo) {
  git_config* cfg = nullptr;
  if (git_repository_config(&cfg, repo) < 0)
    return {};
  buffer value;
  int rc = git_config_get_string_buf(&value.buf, cfg, "fluxd.url");
  git_config_free(cfg);
  return rc < 0 ? std::string{} : value.str();
}

/// The object ID at `path` in `tree` (zero when absent).
git_oid id_at(git_tree* tree, const std::string& path) {
  git_oid zero{};
  if (path.empty())
    return *git_tree_id(tree);
  git_tree_entry* raw = nullptr;
  if (git_tree_entry_bypath(&raw, tree, path.c_str()) < 0)
    return zero;
  tree_entry_ptr entry{raw};
  return *git_tree_entry_id(entry.get());
}

} // namespace

// -- pure helpers ------------------------------------------------------------

std::string commit_message(const std::string& message,
                           const commit_identity& id) {
  if (!id.ci_skip_message.empty())
    return message + id.ci_skip_message;
  if (id.ci_skip)
    return message + "\n\n[ci skip]";
  return message;
}

std::pair<std::string, std::string> commit_author(const commit_identity& id,
                                                  const std::string& user) {
  if (!id.set_author || user.empty())
    return {id.user, id.email};
  auto lt = user.find('<');
  auto gt = user.find('>', lt == std::string::npos ? 0 : lt);
  if (lt != std::string::npos && gt != std::string::npos) {
    auto name = user.substr(0, lt);
    while (!name.empty() && name.back() == ' ')
      name.pop_back();
    return {name, user.substr(lt + 1, gt - lt - 1)};
  }
  return {user, id.email};
}

std::string notes_ref_name(const std::string& ref) {
  if (ref.rfind("refs/", 0) == 0)
    return ref;
  return "refs/notes/" + ref;
}

// -- opening and cloning
// -------------------------------------------------------

repository repository::open_or_clone(const std::string& dir,
                                     const remote_options& remote) {
  ensure_libgit2();
  git_repository* raw = nullptr;
  if (fs::exists(dir)
      && git_repository_open_ext(
             &raw, dir.c_str(),
             GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, nullptr)
             == 0) {
    repository repo{dir, remote, repository_ptr{raw}};
    if (config_url(raw) == remote_url::parse(remote.url).for_libgit2()) {
      try {
        repo.check_integrity();
        return repo;
      } catch (const git_failure&) {
        // fall through: re-clone
      }
    }
  }
  return clone(dir, remote);
}

repository repository::clone(const std::string& dir,
                             const remote_options& remote) {
  ensure_libgit2();
  auto url = remote_url::parse(remote.url);
  auto tmp = dir + ".clone-" + random_hex(8);
  std::error_code ec;
  fs::remove_all(tmp, ec);
  git_repository* raw = nullptr;
  check(git_repository_init(&raw, tmp.c_str(), 1), error_kind::config,
        "creating mirror directory " + tmp);
  repository fresh{tmp, remote, repository_ptr{raw}};
  try {
    git_config* cfg = nullptr;
    check(git_repository_config(&cfg, raw), "mirror config " + tmp);
    git_config_set_string(cfg, "fluxd.url", url.for_libgit2().c_str());
    git_config_free(cfg);
    fresh.fetch();
  } catch (...) {
    fresh.repo_.reset();
    fs::remove_all(tmp, ec);
    throw;
  }
  fresh.repo_.reset();
  fs::remove_all(dir, ec);
  fs::create_directories(fs::path{dir}.parent_path(), ec);
  fs::rename(tmp, dir, ec);
  if (ec)
    throw git_failure(error_kind::config,
                      "moving fresh clone into " + dir + ": " + ec.message());
  raw = nullptr;
  check(git_repository_open_bare(&raw, dir.c_str()), "opening mirror " + dir);
  return repository{dir, remote, repository_ptr{raw}};
}

void repository::check_integrity() const {
  // Read through the object database, not git_object_lookup: the
  // repository's object cache would answer for objects already gone.
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo_.get()), error_kind::corrupt,
        "object database of mirror " + dir_);
  odb_ptr odb{raw_odb};
  auto readable = [&](const git_oid* id) {
    git_odb_object* obj = nullptr;
    if (git_odb_read(&obj, odb.get(), id) < 0)
      return false;
    odb_object_ptr o{obj};
    if (git_odb_object_type(o.get()) != GIT_OBJECT_COMMIT)
      return true;
    // A commit's first line names its tree: that must be readable too.
    std::string text{static_cast<const char*>(git_odb_object_data(o.get())),
                     git_odb_object_size(o.get())};
    git_oid tree;
    if (text.rfind("tree ", 0) != 0
        || git_oid_fromstrn(&tree, text.data() + 5, GIT_OID_HEXSZ) < 0)
      return false;
    git_odb_object* t = nullptr;
    if (git_odb_read(&t, odb.get(), &tree) < 0)
      return false;
    git_odb_object_free(t);
    return true;
  };
  git_reference_iterator* it = nullptr;
  check(git_reference_iterator_new(&it, repo_.get()), error_kind::corrupt,
        "listing refs of mirror " + dir_);
  git_reference* ref = nullptr;
  std::string bad;
  while (bad.empty() && git_reference_next(&ref, it) == 0) {
    reference_ptr owned{ref};
    git_reference* resolved = nullptr;
    if (git_reference_resolve(&resolved, ref) < 0)
      continue;
    reference_ptr r{resolved};
    if (!readable(git_reference_target(r.get())))
      bad = git_reference_name(ref);
  }
  git_reference_iterator_free(it);
  if (!bad.empty())
    throw git_failure(error_kind::corrupt,
                      "mirror " + dir_ + " is damaged: " + bad
                          + " points at a missing or unreadable object");
}

void repository::fetch() {
  remote_session session{remote_, "fetch"};
  git_remote* raw = nullptr;
  session.check(git_remote_create_anonymous(
                    &raw, repo_.get(), session.url().for_libgit2().c_str()),
                "creating remote");
  remote_ptr remote{raw};
  git_strarray specs{const_cast<char**>(mirror_refspecs),
                     sizeof mirror_refspecs / sizeof *mirror_refspecs};
  auto opts = session.fetch_options();
  int rc = git_remote_fetch(remote.get(), &specs, &opts, nullptr);
  if (rc < 0) {
    const ::git_error* e = git_error_last();
    int klass = e ? e->klass : 0;
    if (klass == GIT_ERROR_ODB || klass == GIT_ERROR_ZLIB
        || klass == GIT_ERROR_INDEXER || klass == GIT_ERROR_REFERENCE
        || klass == GIT_ERROR_REPOSITORY)
      throw git_failure(error_kind::corrupt,
                        "fetch " + session.url().sanitized() + " into mirror "
                            + dir_ + ": " + last_libgit2_error());
    session.fail(rc, "fetching");
  }
}

// -- reading
// -------------------------------------------------------------------

commit_ptr repository::lookup_commit(const std::string& rev) const {
  git_object* obj = nullptr;
  int rc = git_revparse_single(&obj, repo_.get(), (rev + "^{commit}").c_str());
  if (rc < 0)
    throw git_failure(
        rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS || rc == GIT_EINVALIDSPEC
            ? error_kind::not_found
            : classify(rc, git_error_last() ? git_error_last()->klass : 0,
                       last_libgit2_error()),
        "unknown revision " + rev + " in mirror " + dir_ + ": "
            + last_libgit2_error());
  return commit_ptr{reinterpret_cast<git_commit*>(obj)};
}

std::optional<std::string> repository::resolve(const std::string& rev) const {
  git_object* obj = nullptr;
  if (git_revparse_single(&obj, repo_.get(), (rev + "^{commit}").c_str()) < 0)
    return std::nullopt;
  object_ptr owned{obj};
  return oid_text(git_object_id(obj));
}

std::string repository::branch_head(const std::string& branch) const {
  git_reference* raw = nullptr;
  int rc =
      git_reference_lookup(&raw, repo_.get(), ("refs/heads/" + branch).c_str());
  if (rc == GIT_ENOTFOUND)
    throw git_failure(error_kind::branch_missing,
                      "configured branch '" + branch + "' does not exist");
  check(rc, "reading branch " + branch + " in mirror " + dir_);
  reference_ptr ref{raw};
  git_reference* resolved = nullptr;
  check(git_reference_resolve(&resolved, ref.get()),
        "resolving branch " + branch);
  reference_ptr r{resolved};
  return oid_text(git_reference_target(r.get()));
}

std::map<std::string, std::string>
repository::read_files(const std::string& rev,
                       const std::vector<std::string>& paths) const {
  auto commit = lookup_commit(rev);
  git_tree* raw_tree = nullptr;
  check(git_commit_tree(&raw_tree, commit.get()), error_kind::corrupt,
        "reading tree of " + rev);
  tree_ptr root{raw_tree};
  std::map<std::string, std::string> files;
  auto add_blob = [&](const std::string& path, const git_oid* id) {
    git_blob* blob = nullptr;
    check(git_blob_lookup(&blob, repo_.get(), id), error_kind::corrupt,
          "reading " + path + " at " + rev);
    blob_ptr b{blob};
    files[path] =
        std::string{static_cast<const char*>(git_blob_rawcontent(b.get())),
                    static_cast<size_t>(git_blob_rawsize(b.get()))};
  };
  std::vector<std::string> wanted = paths;
  if (wanted.empty())
    wanted.push_back("");
  for (auto& p : wanted) {
    auto path = normalize_path(p);
    tree_ptr subtree;
    git_tree* walk_root = root.get();
    if (!path.empty()) {
      git_tree_entry* raw_entry = nullptr;
      if (git_tree_entry_bypath(&raw_entry, root.get(), path.c_str()) < 0)
        throw git_failure(error_kind::path_missing,
                          "git path '" + p + "' not found at revision " + rev);
      tree_entry_ptr entry{raw_entry};
      if (git_tree_entry_type(entry.get()) == GIT_OBJECT_BLOB) {
        add_blob(path, git_tree_entry_id(entry.get()));
        continue;
      }
      git_tree* t = nullptr;
      check(git_tree_lookup(&t, repo_.get(), git_tree_entry_id(entry.get())),
            error_kind::corrupt, "reading tree " + path + " at " + rev);
      subtree.reset(t);
      walk_root = t;
    }
    struct walk_state {
      std::vector<std::pair<std::string, git_oid>> blobs;
      std::string prefix;
    } state{{}, path.empty() ? std::string{} : path + "/"};
    check(git_tree_walk(
              walk_root, GIT_TREEWALK_PRE,
              [](const char* dir, const git_tree_entry* e, void* payload) {
                auto s = static_cast<walk_state*>(payload);
                if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
                  s->blobs.emplace_back(s->prefix + dir
                                            + git_tree_entry_name(e),
                                        *git_tree_entry_id(e));
                return 0;
              },
              &state),
          error_kind::corrupt, "walking tree at " + rev);
    for (auto& [name, id] : state.blobs)
      add_blob(name, &id);
  }
  return files;
}

std::optional<std::string>
repository::read_file(const std::string& rev, const std::string& path) const {
  try {
    auto files = read_files(rev, {path});
    auto it = files.find(normalize_path(path));
    if (it == files.end())
      return std::nullopt;
    return it->second;
  } catch (const git_failure& e) {
    if (e.kind() == error_kind::path_missing)
      return std::nullopt;
    throw;
  }
}

std::vector<commit_info> repository::log(const std::string& from,
                                         const std::string& to,
                                         const std::vector<std::string>& paths,
                                         bool first_parent,
                                         const openpgp* gpg) const {
  git_revwalk* raw = nullptr;
  check(git_revwalk_new(&raw, repo_.get()), "log " + from + ".." + to);
  revwalk_ptr walk{raw};
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  if (first_parent)
    git_revwalk_simplify_first_parent(walk.get());
  auto head = lookup_commit(to);
  check(git_revwalk_push(walk.get(), git_commit_id(head.get())),
        "log from " + to);
  if (!from.empty()) {
    auto base = lookup_commit(from);
    check(git_revwalk_hide(walk.get(), git_commit_id(base.get())),
          "log hiding " + from);
  }
  std::vector<std::string> wanted;
  for (auto& p : paths)
    wanted.push_back(normalize_path(p));
  std::vector<commit_info> out;
  git_oid oid;
  while (git_revwalk_next(&oid, walk.get()) == 0) {
    git_commit* raw_commit = nullptr;
    check(git_commit_lookup(&raw_commit, repo_.get(), &oid),
          error_kind::corrupt, "log reading commit " + oid_text(&oid));
    commit_ptr c{raw_commit};
    bool include = wanted.empty();
    if (!include) {
      git_tree* t = nullptr;
      check(git_commit_tree(&t, c.get()), error_kind::corrupt, "log tree");
      tree_ptr tree{t};
      unsigned parents = git_commit_parentcount(c.get());
      if (first_parent && parents > 1)
        parents = 1;
      std::vector<tree_ptr> parent_trees;
      for (unsigned i = 0; i < parents; ++i) {
        git_commit* pc = nullptr;
        check(git_commit_parent(&pc, c.get(), i), error_kind::corrupt,
              "log parent");
        commit_ptr parent{pc};
        git_tree* pt = nullptr;
        check(git_commit_tree(&pt, parent.get()), error_kind::corrupt,
              "log parent tree");
        parent_trees.emplace_back(pt);
      }
      for (auto& p : wanted) {
        auto mine = id_at(tree.get(), p);
        if (parent_trees.empty()) {
          include = include || !git_oid_is_zero(&mine);
          continue;
        }
        // Like git's history simplification: a merge counts only when it
        // differs from every parent at the path.
        bool differs_from_all = true;
        for (auto& pt : parent_trees) {
          auto theirs = id_at(pt.get(), p);
          if (git_oid_equal(&mine, &theirs))
            differs_from_all = false;
        }
        include = include || differs_from_all;
      }
    }
    if (!include)
      continue;
    commit_info info;
    info.revision = oid_text(&oid);
    info.subject =
        git_commit_summary(c.get()) ? git_commit_summary(c.get()) : "";
    if (gpg) {
      auto check_result = verify_commit(info.revision, *gpg);
      info.signature_status = check_result.status;
      info.signing_key = check_result.key_id();
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<std::string>
repository::tag_revision(const std::string& tag) const {
  return resolve("refs/tags/" + tag);
}

signature_check repository::verify_commit(const std::string& rev,
                                          const openpgp& gpg) const {
  auto c = lookup_commit(rev);
  buffer sig, data;
  int rc = git_commit_extract_signature(
      &sig.buf, &data.buf, repo_.get(),
      const_cast<git_oid*>(git_commit_id(c.get())), nullptr);
  if (rc == GIT_ENOTFOUND)
    return {};
  check(rc, error_kind::corrupt, "reading signature of " + rev);
  return gpg.verify(data.str(), sig.str());
}

signature_check repository::verify_tag(const std::string& tag,
                                       const openpgp& gpg) const {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo_.get(), ("refs/tags/" + tag).c_str()) < 0)
    return {};
  reference_ptr ref{raw};
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo_.get()), "odb");
  odb_ptr odb{raw_odb};
  git_odb_object* obj = nullptr;
  check(git_odb_read(&obj, odb.get(), git_reference_target(ref.get())),
        error_kind::corrupt, "reading tag " + tag);
  odb_object_ptr o{obj};
  if (git_odb_object_type(o.get()) != GIT_OBJECT_TAG)
    return {};
  std::string text{static_cast<const char*>(git_odb_object_data(o.get())),
                   git_odb_object_size(o.get())};
  auto at = text.find("-----BEGIN PGP SIGNATURE-----");
  if (at == std::string::npos)
    return {};
  return gpg.verify(text.substr(0, at), text.substr(at));
}

std::optional<std::string> repository::read_note(const std::string& notes_ref,
                                                 const std::string& rev) const {
  auto c = lookup_commit(rev);
  git_note* raw = nullptr;
  int rc = git_note_read(&raw, repo_.get(), notes_ref_name(notes_ref).c_str(),
                         git_commit_id(c.get()));
  if (rc == GIT_ENOTFOUND)
    return std::nullopt;
  check(rc, "reading note of " + rev + " in " + notes_ref_name(notes_ref));
  note_ptr note{raw};
  return std::string{git_note_message(note.get())};
}

} // namespace fluxd::git
