#include "adapters/git/repository.hpp"

#include <filesystem>
#include <random>

#include "adapters/git/error.hpp"

namespace fs = std::filesystem;

namespace fluxd::git {

namespace {

const char* const mirror_refspecs[] = {
  "+refs/heads/*:refs/heads/*",
  "+refs/tags/*:refs/tags/*",
  "+refs/notes/*:refs/notes/*",
};

std::string oid_text(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

std::string random_hex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += digits[rng() % 16];
  return out;
}

std::string config_url(git_repository* repo) {
  git_config* cfg = nullptr;
  if (git_repository_config(&cfg, repo) < 0)
    return {};
  buffer value;
  int rc = git_config_get_string_buf(&value.buf, cfg, "fluxd.url");
  git_config_free(cfg);
  return rc < 0 ? std::string{} : value.str();
}

std::string normalize_path(std::string p) {
  while (!p.empty() && p.back() == '/')
    p.pop_back();
  while (p.rfind("./", 0) == 0)
    p.erase(0, 2);
  if (p == ".")
    p.clear();
  return p;
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

signature_ptr make_signature(const std::string& name,
                             const std::string& email) {
  git_signature* sig = nullptr;
  check(git_signature_now(&sig, name.c_str(), email.c_str()),
        error_kind::config, "git identity '" + name + " <" + email + ">'");
  return signature_ptr{sig};
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

// -- opening and cloning -------------------------------------------------------

repository repository::open_or_clone(const std::string& dir,
                                     const remote_options& remote) {
  ensure_libgit2();
  git_repository* raw = nullptr;
  if (fs::exists(dir)
      && git_repository_open_ext(&raw, dir.c_str(),
                                 GIT_REPOSITORY_OPEN_NO_SEARCH
                                   | GIT_REPOSITORY_OPEN_BARE,
                                 nullptr) == 0) {
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
  session.check(git_remote_create_anonymous(&raw, repo_.get(),
                                            session.url().for_libgit2().c_str()),
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

// -- reading -------------------------------------------------------------------

commit_ptr repository::lookup_commit(const std::string& rev) const {
  git_object* obj = nullptr;
  int rc = git_revparse_single(&obj, repo_.get(), (rev + "^{commit}").c_str());
  if (rc < 0)
    throw git_failure(rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS
                        || rc == GIT_EINVALIDSPEC
                      ? error_kind::not_found
                      : classify(rc, git_error_last() ? git_error_last()->klass
                                                      : 0,
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
  int rc = git_reference_lookup(&raw, repo_.get(),
                                ("refs/heads/" + branch).c_str());
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

std::map<std::string, std::string> repository::read_files(
  const std::string& rev, const std::vector<std::string>& paths) const {
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
    files[path] = std::string{static_cast<const char*>(git_blob_rawcontent(b.get())),
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
                s->blobs.emplace_back(s->prefix + dir + git_tree_entry_name(e),
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

std::optional<std::string> repository::read_file(
  const std::string& rev, const std::string& path) const {
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
    info.subject = git_commit_summary(c.get()) ? git_commit_summary(c.get())
                                               : "";
    if (gpg) {
      auto check_result = verify_commit(info.revision, *gpg);
      info.signature_status = check_result.status;
      info.signing_key = check_result.key_id();
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<std::string> repository::tag_revision(
  const std::string& tag) const {
  return resolve("refs/tags/" + tag);
}

signature_check repository::verify_commit(const std::string& rev,
                                          const openpgp& gpg) const {
  auto c = lookup_commit(rev);
  buffer sig, data;
  int rc = git_commit_extract_signature(&sig.buf, &data.buf, repo_.get(),
                                        const_cast<git_oid*>(
                                          git_commit_id(c.get())),
                                        nullptr);
  if (rc == GIT_ENOTFOUND)
    return {};
  check(rc, error_kind::corrupt, "reading signature of " + rev);
  return gpg.verify(data.str(), sig.str());
}

signature_check repository::verify_tag(const std::string& tag,
                                       const openpgp& gpg) const {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo_.get(), ("refs/tags/" + tag).c_str())
      < 0)
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

// -- writing -----------------------------------------------------------------

std::optional<std::string> repository::commit(
  const std::string& parent, const std::vector<file_change>& changes,
  const std::string& message, const commit_identity& id,
  const std::string& cause_user) {
  auto base = lookup_commit(parent);
  git_tree* raw_tree = nullptr;
  check(git_commit_tree(&raw_tree, base.get()), error_kind::corrupt,
        "tree of " + parent);
  tree_ptr base_tree{raw_tree};
  git_index* raw_index = nullptr;
  check(git_index_new(&raw_index), "in-memory index");
  index_ptr index{raw_index};
  check(git_index_read_tree(index.get(), base_tree.get()), "index of " + parent);
  for (auto& change : changes) {
    auto path = normalize_path(change.path);
    if (!change.content) {
      git_index_remove_bypath(index.get(), path.c_str());
      git_index_remove_directory(index.get(), path.c_str(), 0);
      continue;
    }
    git_index_entry entry{};
    entry.path = path.c_str();
    entry.mode = GIT_FILEMODE_BLOB;
    if (auto existing = git_index_get_bypath(index.get(), path.c_str(), 0))
      entry.mode = existing->mode;
    check(git_blob_create_from_buffer(&entry.id, repo_.get(),
                                      change.content->data(),
                                      change.content->size()),
          "writing blob for " + path);
    entry.file_size = static_cast<uint32_t>(change.content->size());
    check(git_index_add(index.get(), &entry), error_kind::config,
          "adding " + path + " to the commit");
  }
  git_oid tree_id;
  check(git_index_write_tree_to(&tree_id, index.get(), repo_.get()),
        "writing tree");
  if (git_oid_equal(&tree_id, git_tree_id(base_tree.get())))
    return std::nullopt;
  git_tree* new_raw = nullptr;
  check(git_tree_lookup(&new_raw, repo_.get(), &tree_id), "new tree");
  tree_ptr tree{new_raw};
  auto committer = make_signature(id.user, id.email);
  auto [author_name, author_email] = commit_author(id, cause_user);
  auto author = make_signature(author_name, author_email);
  auto text = commit_message(message, id);
  const git_commit* parents[] = {base.get()};
  git_oid out;
  if (id.signing_key.empty()) {
    check(git_commit_create(&out, repo_.get(), nullptr, author.get(),
                            committer.get(), nullptr, text.c_str(), tree.get(),
                            1, parents),
          "creating commit on " + parent);
    return oid_text(&out);
  }
  buffer content;
  check(git_commit_create_buffer(&content.buf, repo_.get(), author.get(),
                                 committer.get(), nullptr, text.c_str(),
                                 tree.get(), 1, parents),
        "creating commit on " + parent);
  auto signature = openpgp{id.gnupg_home}.sign(content.str(), id.signing_key);
  check(git_commit_create_with_signature(&out, repo_.get(),
                                         content.str().c_str(),
                                         signature.c_str(), "gpgsig"),
        error_kind::signature, "writing signed commit");
  return oid_text(&out);
}

void repository::add_note(const std::string& notes_ref, const std::string& rev,
                          const std::string& note, const commit_identity& id) {
  auto c = lookup_commit(rev);
  auto sig = make_signature(id.user, id.email);
  git_oid out;
  check(git_note_create(&out, repo_.get(), notes_ref_name(notes_ref).c_str(),
                        sig.get(), sig.get(), git_commit_id(c.get()),
                        note.c_str(), 1),
        "adding note to " + rev + " in " + notes_ref_name(notes_ref));
}

void repository::push(const std::vector<std::string>& refspecs,
                      const std::string& what) {
  remote_session session{remote_, "push"};
  git_remote* raw = nullptr;
  session.check(git_remote_create_anonymous(&raw, repo_.get(),
                                            session.url().for_libgit2().c_str()),
                "creating remote");
  remote_ptr remote{raw};
  std::vector<char*> specs;
  for (auto& s : refspecs)
    specs.push_back(const_cast<char*>(s.c_str()));
  git_strarray arr{specs.data(), specs.size()};
  auto opts = session.push_options();
  int rc = git_remote_push(remote.get(), &arr, &opts);
  if (rc < 0)
    session.fail(rc, what);
  if (session.rejected().empty())
    return;
  std::string detail;
  bool moved = false;
  for (auto& [ref, status] : session.rejected()) {
    detail += (detail.empty() ? "" : "; ") + ref + ": " + status;
    for (const char* m : {"non-fast-forward", "fetch first", "cannot lock",
                          "failed to update", "stale", "expected"})
      if (status.find(m) != std::string::npos)
        moved = true;
  }
  throw git_failure(moved ? error_kind::non_fast_forward
                        : error_kind::push_rejected,
                  "push " + session.url().sanitized() + ": " + what
                    + " rejected: " + detail);
}

void repository::push_branch(const std::string& branch, const std::string& rev,
                             const std::string& notes_ref) {
  auto c = lookup_commit(rev);
  auto outgoing = "refs/fluxd/outgoing/" + branch;
  git_reference* raw = nullptr;
  check(git_reference_create(&raw, repo_.get(), outgoing.c_str(),
                             git_commit_id(c.get()), 1, "fluxd push"),
        "preparing push of " + rev);
  git_reference_free(raw);
  std::vector<std::string> specs{outgoing + ":refs/heads/" + branch};
  if (!notes_ref.empty()) {
    auto notes = notes_ref_name(notes_ref);
    git_reference* n = nullptr;
    if (git_reference_lookup(&n, repo_.get(), notes.c_str()) == 0) {
      git_reference_free(n);
      specs.push_back(notes + ":" + notes);
    }
  }
  push(specs, "branch " + branch);
  raw = nullptr;
  check(git_reference_create(&raw, repo_.get(), ("refs/heads/" + branch).c_str(),
                             git_commit_id(c.get()), 1, "fluxd pushed"),
        "moving local " + branch);
  git_reference_free(raw);
}

void repository::move_tag(const std::string& tag, const std::string& rev,
                          const commit_identity& id) {
  auto c = lookup_commit(rev);
  auto tagger = make_signature(id.user, id.email);
  git_oid tag_id;
  check(git_tag_annotation_create(&tag_id, repo_.get(), tag.c_str(),
                                  reinterpret_cast<git_object*>(c.get()),
                                  tagger.get(), "Sync pointer\n"),
        "creating tag " + tag);
  if (!id.signing_key.empty()) {
    git_odb* raw_odb = nullptr;
    check(git_repository_odb(&raw_odb, repo_.get()), "odb");
    odb_ptr odb{raw_odb};
    git_odb_object* obj = nullptr;
    check(git_odb_read(&obj, odb.get(), &tag_id), "reading tag " + tag);
    odb_object_ptr o{obj};
    std::string text{static_cast<const char*>(git_odb_object_data(o.get())),
                     git_odb_object_size(o.get())};
    text += openpgp{id.gnupg_home}.sign(text, id.signing_key);
    check(git_odb_write(&tag_id, odb.get(), text.data(), text.size(),
                        GIT_OBJECT_TAG),
          "writing signed tag " + tag);
  }
  git_reference* raw = nullptr;
  check(git_reference_create(&raw, repo_.get(), ("refs/tags/" + tag).c_str(),
                             &tag_id, 1, "fluxd sync tag"),
        "moving tag " + tag);
  git_reference_free(raw);
  push({"+refs/tags/" + tag + ":refs/tags/" + tag}, "tag " + tag);
}

void repository::write_check(const std::string& branch) {
  auto head = lookup_commit(branch_head(branch));
  auto tag = "flux-write-check-" + random_hex(10);
  auto ref = "refs/tags/" + tag;
  git_reference* raw = nullptr;
  check(git_reference_create(&raw, repo_.get(), ref.c_str(),
                             git_commit_id(head.get()), 1, "write check"),
        "creating " + tag);
  git_reference_free(raw);
  struct cleanup {
    git_repository* repo;
    std::string ref;
    ~cleanup() {
      git_reference* r = nullptr;
      if (git_reference_lookup(&r, repo, ref.c_str()) == 0) {
        git_reference_delete(r);
        git_reference_free(r);
      }
    }
  } guard{repo_.get(), ref};
  push({ref + ":" + ref}, "write check tag " + tag);
  push({":" + ref}, "deleting write check tag " + tag);
}

} // namespace fluxd::git
