#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/log/log.hpp"
#include "adapters/manifests/loader.hpp"
#include "adapters/release/commit.hpp"
#include "adapters/release/job.hpp"
#include "messages/automation.hpp"
#include "messages/git.hpp"
#include "messages/registry.hpp"

namespace fluxd {

struct job_queue_config {
  git_mirror_actor mirror;
  git_writer_actor writer;
  /// Image repositories for releases; null: releases see no images.
  registry_scanner_actor scanner;
  /// Gets every job commit and release (may be null).
  event_sink_actor events;
  /// --git-path's, namespaces and limits for reading manifests.
  manifests::load_options load;
  bool readonly = false;            ///< --git-readonly
  caf::timespan job_timeout = std::chrono::minutes(1); ///< --sync-timeout
  size_t keep_statuses = 100;       ///< Flux v1 keeps the last 100
  size_t note_search_depth = 1000;  ///< commits searched for a job's note
};

/// Private: start the next job; run a deferred step (by number); image
/// repositories watched for releases report here (ignored).
using job_queue_impl =
  job_queue_actor::extend<caf::reacts_to<job_next_atom>,
                          caf::reacts_to<job_next_atom, uint64_t>,
                          caf::reacts_to<repo_snapshot>>;

struct job_queue_state {
  static inline const char* name = "fluxd.job_queue";

  struct job {
    std::string id;
    release::update_spec spec;
    caf::timestamp queued_at;
  };

  job_queue_config cfg;
  std::deque<job> queue;
  bool running = false;
  std::map<std::string, release::job_status> statuses;
  std::deque<std::string> status_order; ///< FIFO eviction
  std::multimap<std::string, caf::typed_response_promise<job_info>> waiters;
  /// Plans answer their submitter when their status is final.
  std::multimap<std::string, caf::typed_response_promise<std::string>>
    plan_replies;
  std::vector<auto_check_actor> auto_checkers;
  std::map<uint64_t, std::function<void()>> deferred;
  uint64_t next_deferred = 1;
  log::logger log{"jobs"};
};

/// Runs update jobs for one repository, one at a time: reads the branch
/// head from the mirror, plans with adapters/release, and hands the edit
/// set to the git_writer, which re-applies it on a newer head when a push
/// loses a race. Every commit carries a note with the job's record, so a
/// status asked for after a restart is found in git.
job_queue_impl::behavior_type
job_queue(job_queue_impl::stateful_pointer<job_queue_state> self,
          job_queue_config cfg);

} // namespace fluxd
