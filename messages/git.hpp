#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/make_message.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/optional.hpp"
#include "caf/replies_to.hpp"
#include "caf/type_id.hpp"
#include "caf/typed_actor.hpp"

#include "messages/ids.hpp"

/// The git protocol: what `git_mirror` (one per repository: fetch, read,
/// status) and `git_writer` (commit and push edit sets, move the sync
/// marker) accept and answer.
namespace fluxd {

/// Status of a repository as Flux v1's git-repo-config reports it.
struct git_status {
  std::string status;   ///< unconfigured, new, cloned, ready, unreachable
  std::string error;    ///< last error text ("" when ready)
  std::string revision; ///< branch head when known
};

/// Published to subscribers whenever the branch head changes.
struct git_revision {
  std::string url; ///< sanitised (no password)
  std::string branch;
  std::string revision;
};

/// The files under the requested paths at a revision.
struct git_files {
  std::string revision;
  std::map<std::string, std::string> files; ///< repo-relative path → bytes
};

/// One commit of a log (Flux v1's `%GK|%G?|%H|%s`).
struct git_commit_entry {
  std::string revision;
  std::string subject;
  std::string signing_key;
  std::string signature_status; ///< one of G U B X Y R E N
};

struct git_log {
  std::vector<git_commit_entry> commits; ///< newest first
};

/// The newest revision that may be synced under signature verification.
struct git_verified {
  std::string head;
  std::string revision;         ///< == head when all is verified
  std::string invalid_revision; ///< first unverified commit, if any
  std::string invalid_key;
};

/// A note on a commit; `found` false when there is none.
struct git_commit_note {
  bool found = false;
  std::string text;
};

/// One file to write (or delete) in a commit.
struct git_file_change {
  std::string path;
  bool remove = false;
  std::string content;
};

/// What an edit function may look at: the branch head it is applied to.
struct git_tree_reader {
  std::string revision;
  std::function<caf::optional<std::string>(const std::string& path)> read;
  std::function<std::map<std::string, std::string>(
      const std::vector<std::string>& paths)>
      files;
};

/// Computes changes from the head's files; called again on the new head
/// when the push lost a race, so it must depend only on what it reads.
using git_edit_fn =
    std::function<std::vector<git_file_change>(const git_tree_reader&)>;

/// An edit set for git_writer. Local only (it carries a function).
struct git_write_request {
  /// Applied when `edit` is null: fixed contents.
  std::vector<git_file_change> changes;
  std::shared_ptr<const git_edit_fn> edit;
  std::string message;
  std::string cause_user; ///< commit author with --git-set-author
  std::string note;       ///< job note (JSON) for --git-notes-ref
};

struct git_write_result {
  std::string revision; ///< pushed commit, or the head when nothing changed
  bool changed = false;
  int32_t attempts = 0;
};

/// Error codes of the git actors (category "git").
enum class git_errc : uint8_t {
  not_ready = 1, ///< "git repo not ready: <error>"
  unreachable,
  timeout,
  auth,
  host_key,
  branch_missing,
  path_missing,
  not_found,
  corrupt,
  non_fast_forward, ///< retries exhausted
  push_rejected,
  signature,
  config,
  readonly, ///< --git-readonly: no commits
  other,
};

std::string to_string(git_errc x);

/// Renders errors of category "git" (register with add_error_category).
std::string render_git_error(uint8_t code, caf::atom_value category,
                             const caf::message& context);

// -- inspect -----------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_status& x) {
  return f(caf::meta::type_name("git_status"), x.status, x.error, x.revision);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_revision& x) {
  return f(caf::meta::type_name("git_revision"), x.url, x.branch, x.revision);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_files& x) {
  return f(caf::meta::type_name("git_files"), x.revision, x.files);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_commit_entry& x) {
  return f(caf::meta::type_name("git_commit_entry"), x.revision, x.subject,
           x.signing_key, x.signature_status);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_log& x) {
  return f(caf::meta::type_name("git_log"), x.commits);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_verified& x) {
  return f(caf::meta::type_name("git_verified"), x.head, x.revision,
           x.invalid_revision, x.invalid_key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_commit_note& x) {
  return f(caf::meta::type_name("git_commit_note"), x.found, x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_file_change& x) {
  return f(caf::meta::type_name("git_file_change"), x.path, x.remove,
           x.content);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, git_write_result& x) {
  return f(caf::meta::type_name("git_write_result"), x.revision, x.changed,
           x.attempts);
}

} // namespace fluxd

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fluxd::git_write_request)
CAF_ERROR_CODE_ENUM(fluxd::git_errc, "git")

CAF_BEGIN_TYPE_ID_BLOCK(fluxd_git, fluxd::type_id_range::git)
  CAF_ADD_TYPE_ID(fluxd_git, (fluxd::git_status))
  CAF_ADD_TYPE_ID(fluxd_git, (fluxd::git_revision))
  CAF_ADD_TYPE_ID(fluxd_git, (fluxd::git_files))
  CAF_ADD_TYPE_ID(fluxd_git, (fluxd::git_commit_entry))
  CAF_ADD_TYPE_ID(fluxd_git, (fluxd::git_log))
  CAF_ADD_TYPE_ID(fluxd_git, (fluxd::git_verified))
  CAF_ADD_TYPE_ID(fluxd_git, (fluxd::git_commit_note))
  CAF_ADD_TYPE_ID(fluxd_git, (fluxd::git_file_change))
  CAF_ADD_TYPE_ID(fluxd_git, (fluxd::git_write_result))
  CAF_ADD_ATOM(fluxd_git, fluxd, git_status_atom, "gitstatus")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_fetch_atom, "gitfetch")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_sub_atom, "gitsub")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_read_atom, "gitread")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_log_atom, "gitlog")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_note_atom, "gitnote")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_marker_atom, "gitmarker")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_verify_atom, "gitverify")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_write_atom, "gitwrite")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_tag_atom, "gittag")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_tick_atom, "gittick")
  CAF_ADD_ATOM(fluxd_git, fluxd, git_retry_atom, "gitretry")
CAF_END_TYPE_ID_BLOCK(fluxd_git)

namespace fluxd {

/// Receives new branch heads from a git_mirror.
using git_listener_actor = caf::typed_actor<caf::reacts_to<git_revision>>;

/// One repository's mirror (detached: libgit2 blocks).
using git_mirror_actor = caf::typed_actor<
    /// Current status, as git-repo-config shows it.
    caf::replies_to<git_status_atom>::with<git_status>,
    /// Fetch now (`fluxctl sync`, webhook); answers after the fetch.
    caf::replies_to<git_fetch_atom>::with<git_status>,
    /// Subscribe to new heads; the current head is sent at once when known.
    caf::replies_to<git_sub_atom, git_listener_actor>::with<git_status>,
    /// Files under paths (empty: the configured --git-path's) at a revision.
    caf::replies_to<git_read_atom, std::string,
                    std::vector<std::string>>::with<git_files>,
    /// Commits in from..to (from "" = from the root) limited to the
    /// configured paths; bool: first-parent only.
    caf::replies_to<git_log_atom, std::string, std::string,
                    bool>::with<git_log>,
    /// The note on a revision in --git-notes-ref.
    caf::replies_to<git_note_atom, std::string>::with<git_commit_note>,
    /// The revision of the sync marker tag ("" when there is none).
    caf::replies_to<git_marker_atom>::with<std::string>,
    /// The newest revision allowed under --git-verify-signatures-mode.
    caf::replies_to<git_verify_atom>::with<git_verified>>;

/// Commits edit sets and moves the sync marker (detached).
using git_writer_actor = caf::typed_actor<
    caf::replies_to<git_write_atom, git_write_request>::with<git_write_result>,
    /// Force-moves the sync tag to the revision; answers the revision.
    caf::replies_to<git_tag_atom, std::string>::with<std::string>>;

} // namespace fluxd
