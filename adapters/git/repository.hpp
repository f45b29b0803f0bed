#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/git/handles.hpp"
#include "adapters/git/signing.hpp"
#include "adapters/git/transport.hpp"

namespace fluxd::git {

/// One commit of a log, as Flux v1's `git log --pretty=%GK|%G?|%H|%s`.
struct commit_info {
  std::string revision;
  std::string subject;
  std::string signing_key;     ///< key ID, when a signature was checked
  char signature_status = 'N'; ///< see signature_check
};

/// A file to write (`content` set) or delete (`content` empty) in a commit.
struct file_change {
  std::string path;
  std::optional<std::string> content;
};

/// Who commits and how (Flux v1's --git-user, --git-email, --git-set-author,
/// --git-ci-skip, --git-ci-skip-message, --git-signing-key).
struct commit_identity {
  std::string user = "Weave Flux";
  std::string email = "support@weave.works";
  bool set_author = false;
  bool ci_skip = false;
  std::string ci_skip_message;
  std::string signing_key; ///< empty: unsigned commits and tags
  std::string gnupg_home;  ///< empty: $GNUPGHOME or ~/.gnupg
};

/// The message as committed: the ci-skip text appended when configured.
std::string commit_message(const std::string& message,
                           const commit_identity& id);

/// The author of a commit: the cause's user ("Name <email>", or a bare name
/// that then gets the committer's email) with --git-set-author, else the
/// committer. Returns {name, email}.
std::pair<std::string, std::string> commit_author(const commit_identity& id,
                                                  const std::string& user);

/// `refs/notes/<ref>` unless `ref` already starts with `refs/`.
std::string notes_ref_name(const std::string& ref);

/// A bare mirror of one remote (`git clone --mirror`): branches, tags and
/// notes fetched as they are on the remote. Reads happen straight from the
/// object database: no working tree is ever checked out. Not thread-safe:
/// one owner (a detached actor) per instance.
class repository {
public:
  /// Opens the mirror in `dir` or clones it there. A mirror that libgit2
  /// cannot open, whose refs point at missing objects, or that mirrors
  /// another URL is removed and cloned again.
  static repository open_or_clone(const std::string& dir,
                                  const remote_options& remote);

  /// Clones into `dir` (replacing whatever is there) via a temporary
  /// directory, so a failed clone leaves nothing half-made behind.
  static repository clone(const std::string& dir, const remote_options& remote);

  /// Throws git_failure(corrupt) when a ref points at a missing object.
  void check_integrity() const;

  /// Fetches branches, tags and notes (pruning deleted ones).
  void fetch();

  // -- reading ---------------------------------------------------------------

  /// The commit at the tip of `branch`; throws git_failure(branch_missing)
  /// with Flux v1's text "configured branch '<b>' does not exist".
  std::string branch_head(const std::string& branch) const;

  /// The commit `rev` names (SHA, ref, tag), or nullopt.
  std::optional<std::string> resolve(const std::string& rev) const;

  /// Every file under `paths` (repo-relative; "" or "." = all) at `rev`,
  /// keyed by repo-relative path. Throws git_failure(path_missing) when a
  /// path is not in the tree.
  std::map<std::string, std::string>
  read_files(const std::string& rev,
             const std::vector<std::string>& paths) const;

  /// One file at `rev`, or nullopt when absent.
  std::optional<std::string> read_file(const std::string& rev,
                                       const std::string& path) const;

  /// Commits reachable from `to` but not from `from` (all when `from` is
  /// empty) that change something under `paths` (all commits when empty),
  /// newest first. With `gpg`, each commit's signature is checked.
  std::vector<commit_info> log(const std::string& from, const std::string& to,
                               const std::vector<std::string>& paths,
                               bool first_parent,
                               const openpgp* gpg = nullptr) const;

  /// The commit a tag points to, or nullopt when there is no such tag.
  std::optional<std::string> tag_revision(const std::string& tag) const;

  signature_check verify_commit(const std::string& rev,
                                const openpgp& gpg) const;
  /// 'N' for a lightweight or missing tag.
  signature_check verify_tag(const std::string& tag, const openpgp& gpg) const;

  /// The note on `rev` in `notes_ref` (e.g. "flux"), or nullopt.
  std::optional<std::string> read_note(const std::string& notes_ref,
                                       const std::string& rev) const;

  // -- writing ---------------------------------------------------------------

  /// Writes a commit with `changes` on top of `parent` (not pushed, no ref
  /// moved). Returns its SHA, or nullopt when the changes leave the tree
  /// as it was.
  std::optional<std::string> commit(const std::string& parent,
                                    const std::vector<file_change>& changes,
                                    const std::string& message,
                                    const commit_identity& id,
                                    const std::string& cause_user = {});

  /// Adds (or replaces) the note on `rev` in `notes_ref`, locally.
  void add_note(const std::string& notes_ref, const std::string& rev,
                const std::string& note, const commit_identity& id);

  /// Pushes `rev` to `branch` (never forced) together with the notes ref
  /// when given. Throws git_failure(non_fast_forward) when the branch (or
  /// notes ref) moved on the remote, git_failure(push_rejected) otherwise.
  /// On success the local branch follows.
  void push_branch(const std::string& branch, const std::string& rev,
                   const std::string& notes_ref = {});

  /// Creates or force-moves the annotated tag `tag` to `rev` ("Sync
  /// pointer"), signed when the identity has a signing key, and force-
  /// pushes the tag (the only forced push: the marker moves both ways).
  void move_tag(const std::string& tag, const std::string& rev,
                const commit_identity& id);

  /// Flux v1's write check: push a `flux-write-check-<hex>` tag on the
  /// branch, then delete it again. Throws when the remote refuses.
  void write_check(const std::string& branch);

  const std::string& dir() const { return dir_; }
  const remote_options& remote() const { return remote_; }
  git_repository* raw() const { return repo_.get(); }

private:
  repository(std::string dir, remote_options remote, repository_ptr repo)
      : dir_(std::move(dir)), remote_(std::move(remote)),
        repo_(std::move(repo)) {}

  void push(const std::vector<std::string>& refspecs, const std::string& what);
  commit_ptr lookup_commit(const std::string& rev) const;

  std::string dir_;
  remote_options remote_;
  repository_ptr repo_;
};

} // namespace fluxd::git
