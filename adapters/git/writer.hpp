#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/git/repository.hpp"

namespace fluxd::git {

/// Read access to the branch head an edit set is applied to.
class tree_view {
public:
  tree_view(const repository& repo, std::string revision)
      : repo_(repo), revision_(std::move(revision)) {}

  std::optional<std::string> read(const std::string& path) const {
    return repo_.read_file(revision_, path);
  }
  std::map<std::string, std::string>
  files(const std::vector<std::string>& paths) const {
    return repo_.read_files(revision_, paths);
  }
  const std::string& revision() const { return revision_; }

private:
  const repository& repo_;
  std::string revision_;
};

/// An edit set: computes the changes from the files at a head. It is called
/// again on the new head when a push loses a race, so it must be a pure
/// function of what it reads.
using edit_fn = std::function<std::vector<file_change>(const tree_view&)>;

/// An edit set that writes fixed contents, whatever the head holds.
edit_fn fixed_changes(std::vector<file_change> changes);

struct write_request {
  std::string branch;
  edit_fn edits;
  std::string message;
  std::string cause_user; ///< author with --git-set-author
  std::string note;       ///< job note for the commit (empty: none)
  std::string notes_ref;  ///< --git-notes-ref
  /// Test hook: runs when the commit (and note) exist locally, before the
  /// push; may be empty.
  std::function<void()> before_push;
};

struct write_result {
  std::string revision; ///< the pushed commit, or the head when unchanged
  bool changed = false;
};

/// Called with the head before edits are applied; throws to refuse (e.g.
/// `HEAD revision is unsigned` under signature verification).
using head_check_fn = std::function<void(const std::string& head)>;

/// One attempt: fetch, apply the edits to the branch head, commit, add the
/// note, push (never forced). Throws git_failure(non_fast_forward) when the
/// branch moved meanwhile; the caller waits and tries again.
write_result write_once(repository& repo, const write_request& request,
                        const commit_identity& id,
                        const head_check_fn& check_head = {});

/// Bounded exponential back-off between attempts.
struct retry_policy {
  int max_attempts = 5;
  std::chrono::milliseconds first_delay{100};
  std::chrono::milliseconds max_delay{5000};
};

/// The wait before attempt `attempt` (2 = first retry): first_delay
/// doubled per retry, capped at max_delay.
std::chrono::milliseconds retry_delay(const retry_policy& policy, int attempt);

} // namespace fluxd::git
