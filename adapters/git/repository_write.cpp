#include "adapters/git/repository.hpp"

#include "adapters/git/error.hpp"
#include "adapters/git/repository_detail.hpp"

/// The writing half of repository: commits, notes, pushes, the sync tag.
namespace fluxd::git {

using detail::make_signature;
using detail::normalize_path;
using detail::oid_text;
using detail::random_hex;

// -- writing -----------------------------------------------------------------

std::optional<std::string>
repository::commit(const std::string& parent,
                   const std::vector<file_change>& changes,
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
  check(git_index_read_tree(index.get(), base_tree.get()),
        "index of " + parent);
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
  session.check(git_remote_create_anonymous(
                    &raw, repo_.get(), session.url().for_libgit2().c_str()),
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
  check(git_reference_create(&raw, repo_.get(),
                             ("refs/heads/" + branch).c_str(),
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
