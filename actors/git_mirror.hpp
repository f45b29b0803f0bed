#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caf/stateful_actor.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/config/daemon_config.hpp"
#include "adapters/git/repository.hpp"
#include "adapters/git/verification.hpp"
#include "adapters/log/log.hpp"
#include "messages/git.hpp"

namespace fluxd {

struct git_mirror_config {
  git::remote_options remote; ///< url, key, known_hosts, timeout
  std::string branch = "master";
  std::vector<std::string> paths; ///< --git-path (empty: repo root)
  std::string mirror_dir;         ///< where the bare mirror lives
  caf::timespan poll_interval = std::chrono::minutes(5);
  /// Flux v1 retries a repository that is not ready every 10 s.
  caf::timespan retry_interval = std::chrono::seconds(10);
  bool readonly = false; ///< --git-readonly: skip the write check
  std::string sync_tag = "flux-sync";
  std::string notes_ref = "flux";
  git::verify_mode verify = git::verify_mode::none;
  std::string gnupg_home;
  /// --git-gpg-key-import: imported once at start (trusted when verifying).
  std::vector<std::string> gpg_key_import;
  /// Called (on the mirror's thread) whenever the status changes, e.g. to
  /// feed /readyz. Must be thread-safe.
  std::function<void(const git_status&)> on_status;
};

/// The mirror's settings from fluxd's flags: --git-label overrides the sync
/// tag and notes ref; the deploy key is <--k8s-secret-volume-mount-path>/
/// <--k8s-secret-data-key>, else <--ssh-keygen-dir>/identity; the mirror
/// lives in <--state-dir>/git/mirror. Throws git_failure(config) for an
/// unknown --git-verify-signatures-mode.
git_mirror_config mirror_config(const config::daemon_config& flags);

/// The deploy key path the flags name (shared with the writer).
std::string deploy_key_path(const config::daemon_config& flags);

/// --git-verify-signatures-mode, or `all` for the deprecated
/// --git-verify-signatures.
git::verify_mode verify_mode_of(const config::daemon_config& flags);

/// Private messages: poll ticks carry a generation so that a fetch on
/// demand restarts the poll period.
using git_mirror_impl =
    git_mirror_actor::extend<caf::reacts_to<git_tick_atom, uint64_t>>;

struct git_mirror_state {
  static inline const char* name = "fluxd.git_mirror";
  git_mirror_config config;
  std::unique_ptr<git::repository> repo;
  git_status status{"new", "", ""};
  std::vector<git_listener_actor> listeners;
  uint64_t generation = 0;
  log::logger log{"git"};
};

/// Flux v1's repository state machine (new → cloned → ready, unreachable),
/// fetching every poll interval and on demand, publishing new heads to
/// listeners. Spawn it detached: every handler may block on libgit2.
git_mirror_impl::behavior_type
git_mirror(git_mirror_impl::stateful_pointer<git_mirror_state> self,
           git_mirror_config config);

} // namespace fluxd
