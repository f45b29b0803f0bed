#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/config/daemon_config.hpp"
#include "adapters/git/repository.hpp"
#include "adapters/git/verification.hpp"
#include "adapters/git/writer.hpp"
#include "adapters/log/log.hpp"
#include "messages/git.hpp"

namespace fluxd {

struct git_writer_config {
  git::remote_options remote;
  std::string branch = "master";
  std::string work_dir; ///< the writer's own bare clone
  git::commit_identity identity;
  std::string notes_ref = "flux";
  std::string sync_tag = "flux-sync";
  git::retry_policy retry;
  bool readonly = false;
  git::verify_mode verify = git::verify_mode::none;
  /// Test hook, off unless the environment variable FLUXD_FAILPOINT names
  /// it: `after-commit` (commit made locally, nothing pushed) or
  /// `after-push` (pushed, the job not yet answered) raises SIGKILL there,
  /// so tests/crash can show a restart pushes the change exactly once.
  std::string failpoint;
};

/// The writer's settings from fluxd's flags (identity from --git-user,
/// --git-email, --git-set-author, --git-ci-skip(-message),
/// --git-signing-key; its clone in <--state-dir>/git/writer).
git_writer_config writer_config(const config::daemon_config& flags);

/// Private: a retry of the write with this ID after back-off.
using git_writer_impl =
    git_writer_actor::extend<caf::reacts_to<git_retry_atom, uint64_t>>;

struct git_writer_state {
  static inline const char* name = "fluxd.git_writer";

  struct pending {
    uint64_t id;
    git_write_request request;
    int attempts = 0;
    caf::typed_response_promise<git_write_result> promise;
  };

  git_writer_config config;
  std::unique_ptr<git::repository> repo;
  std::deque<pending> queue; ///< front is being written, others wait
  uint64_t next_id = 1;
  log::logger log{"git-writer"};
};

/// Applies edit sets to the branch head, commits and pushes, one at a
/// time in arrival order. A push that is not a fast-forward is retried on
/// the new head (edits re-applied) after a growing delay, up to
/// retry.max_attempts; the branch is never force-pushed. Spawn detached.
git_writer_impl::behavior_type
git_writer(git_writer_impl::stateful_pointer<git_writer_state> self,
           git_writer_config config);

} // namespace fluxd
