#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/log/log.hpp"
#include "adapters/manifests/loader.hpp"
#include "adapters/release/automation.hpp"
#include "adapters/sync/revision_cache.hpp"
#include "messages/automation.hpp"
#include "messages/git.hpp"
#include "messages/registry.hpp"

/// Only ever passed between two local actors (the loader and the
/// automation): never serialized, so no inspect().
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fluxd::release::git_summary)

namespace fluxd {

struct automation_config {
  git_mirror_actor mirror;
  /// Null with --registry-disable-scanning: rows show no image data.
  registry_scanner_actor scanner;
  /// Null with --git-readonly: the workloads are read, nothing is queued.
  job_queue_actor jobs;
  manifests::load_options load;
  /// Shared with the sync (shared_revision_cache()): a file the sync has
  /// parsed is not parsed again here. Null: every revision parsed anew.
  std::shared_ptr<sync::revision_cache> files;
  /// --automation-interval: a check at least this often.
  caf::timespan interval = std::chrono::minutes(5);
  /// --automation-batch-window: image updates arriving within it become
  /// one check, hence one commit.
  caf::timespan batch_window = std::chrono::seconds(2);
  caf::timespan request_timeout = std::chrono::minutes(1);
};

/// Parses a revision's files on its own thread (yaml-cpp takes seconds at
/// 10,000 files, which would stall a scheduler thread) and answers only
/// the summary, so the YAML trees are freed there. Private to the
/// automation: its reply type is an adapter value, never serialized.
using workload_loader_actor =
  caf::typed_actor<caf::replies_to<git_files>::with<release::git_summary>>;

/// Self-messages: the interval tick (with a generation) and the end of a
/// batch window.
using automation_impl = automation_actor::extend<
  caf::reacts_to<auto_tick_atom, uint64_t>>;

struct automation_state {
  static inline const char* name = "fluxd.automation";
  automation_config cfg;
  std::string revision; ///< the branch head the workloads come from
  /// The workloads at `revision`, without their YAML.
  std::vector<release::workload_summary> workloads;
  workload_loader_actor loader;
  std::vector<release::automated_container> automated;
  release::image_index images;
  /// Each filter's newest tag, worked out again only for repositories
  /// whose images changed since the last check.
  release::newest_cache newest;
  /// Repositories watched, and whether with creation times.
  std::map<std::string, bool> watched;
  bool check_scheduled = false;
  std::string job_in_flight; ///< an auto job not finished yet
  bool recheck = false;      ///< something changed while it ran
  uint64_t tick_generation = 0;
  log::logger log{"automation"};
};

/// Subscribes to the branch head and to the image repositories of every
/// workload in git; when the newest tag a container's filter allows
/// differs from git for an automated, unlocked, not ignored workload, it
/// queues one `auto` job per batch window. Only one auto job is in flight:
/// changes seen meanwhile are checked again once it has finished.
automation_impl::behavior_type
automation(automation_impl::stateful_pointer<automation_state> self,
           automation_config cfg);

/// The workloads (at `revision`) with their policies.
git_workloads
workloads_of(const std::string& revision,
             const std::vector<release::workload_summary>& workloads);

/// list-images rows for every container of the workload `only` (every
/// workload when empty).
std::vector<container_images>
image_rows(const std::vector<release::workload_summary>& workloads,
           const release::image_index& images, const std::string& only = {});

} // namespace fluxd
