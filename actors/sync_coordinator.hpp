#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "caf/stateful_actor.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "actors/kube_watcher.hpp"
#include "adapters/health/readiness.hpp"
#include "adapters/kube/client.hpp"
#include "adapters/log/log.hpp"
#include "adapters/sync/cluster.hpp"
#include "messages/automation.hpp"
#include "messages/git.hpp"
#include "messages/sync.hpp"

namespace fluxd {

struct sync_coordinator_config {
  /// Looked up on every use: the git actors may have been restarted.
  std::function<git_mirror_actor()> mirror;
  std::function<git_writer_actor()> writer; ///< --sync-state=git only
  std::shared_ptr<kube::client> client;
  sync::cluster_options cluster;
  bool gc = false;     ///< --sync-garbage-collection
  bool gc_dry = false; ///< --sync-garbage-collection-dry
  bool secret_state = false; ///< --sync-state=secret
  caf::timespan interval = std::chrono::minutes(5); ///< --sync-interval
  /// --sync-timeout: a sync not finished by then is abandoned (marker
  /// not moved, retried with back-off); also each request's timeout.
  caf::timespan timeout = std::chrono::minutes(1);
  /// Back-off of failed syncs and failed resources (doubling).
  caf::timespan retry_initial = std::chrono::seconds(1);
  caf::timespan retry_max = std::chrono::seconds(30);
  /// Concurrent Kubernetes calls: a first sync's applies wait on the API
  /// server's answers, not on fluxd's CPU, with fewer (10,000 applies: 5.0 s
  /// with 16, 6.5-9.5 s with 4, unthrottled).
  int workers = 16;
  /// How long a stage waits for its kinds' first listings; after that its
  /// resource actors read what they do not know one by one.
  caf::timespan list_wait = std::chrono::seconds(5);
  health::readiness* readiness = nullptr; ///< "cluster"
  /// Gets a `sync` event after each sync that brought new commits (§7.7).
  /// Looked up on every event (the notifier may have been restarted);
  /// empty or returning null: no events.
  std::function<event_sink_actor()> events;
};

/// Private messages: watch events, timers.
using sync_impl = sync_actor::extend<
  /// A watch's events of one read (or one listing), in order.
  caf::reacts_to<std::vector<live_event>>,
  caf::reacts_to<watch_synced_atom, std::string, std::vector<std::string>>,
  caf::reacts_to<sync_tick_atom, uint64_t>,
  caf::reacts_to<sync_retry_atom, uint64_t>, caf::reacts_to<git_sub_atom>,
  caf::reacts_to<sync_deadline_atom, uint64_t>,
  caf::reacts_to<watch_restart_atom, std::string>,
  caf::reacts_to<stage_wait_atom, uint64_t, int32_t>,
  /// A resource actor that answered applied or unchanged no longer is in
  /// sync (drift, a read to make): the next sync asks it again.
  caf::reacts_to<unsettled_atom, std::string>,
  /// The watcher of a kind ("apiVersion|Kind"): tests, diagnostics.
  caf::replies_to<watchers_atom, std::string>::with<caf::actor>>;

/// One kind's watch: restarted with back-off when its watcher ends.
struct watch_entry {
  kube_watcher_config config; ///< a fresh cancel on each start
  caf::actor actor;           ///< null while waiting to restart
  uint32_t failures = 0;      ///< since its last full listing
  bool listed = false;        ///< its first listing arrived
};

/// One sync of one revision, from reading the files to moving the marker.
struct sync_run {
  uint64_t id = 0; ///< answers for an abandoned run are dropped
  std::string revision;
  std::chrono::steady_clock::time_point started;
  std::chrono::system_clock::time_point wall_started; ///< for the event
  /// Into the coordinator's `desired` (not changed while a run lasts),
  /// sorted by rank: one copy of each manifest, not one per run.
  std::vector<const desired_state*> resources;
  std::vector<std::string> changed; ///< IDs new or changed since last load
  int stage = -1;
  /// Watches whose first listing the stage waits for (a listed resource
  /// needs no read before its apply), up to `list_wait`.
  std::set<std::string> listings;
  int waited_stage = -1;
  std::size_t outstanding = 0;
  bool unreachable = false;
  bool load_errors = false;
  sync_result result;
};

struct sync_coordinator_state {
  static inline const char* name = "fluxd.sync_coordinator";
  sync_coordinator_config config;
  std::vector<kube_worker_actor> workers;
  std::size_t next_worker = 0;
  std::map<std::string, caf::actor> actors; ///< resource ID → its actor
  std::map<caf::actor_addr, std::string> ids;
  std::shared_ptr<std::set<caf::actor>> children; ///< ended with this actor
  std::map<std::string, desired_state> desired; ///< last loaded revision
  /// Resource ID → the checksum its actor last answered applied or
  /// unchanged for, while it says it stays in sync: a sync counts these
  /// unchanged without a message (10,000 round trips were the no-op
  /// resync's whole cost).
  std::unordered_map<std::string, std::string> settled;
  /// The revision `desired` holds when it loaded cleanly: a resync of it
  /// (every --sync-interval) skips reading and parsing every file again.
  std::string clean_revision;
  std::map<std::string, watch_entry> watches; ///< by apiVersion|kind|ns
  std::map<caf::actor_addr, std::string> watch_keys;
  std::shared_ptr<std::vector<std::shared_ptr<kube::stream_cancel>>> cancels;
  caf::actor_addr mirror_addr;
  std::string head;
  std::string synced;
  std::optional<sync_run> run;
  uint64_t runs = 0; ///< ids of sync_run
  bool pending = false; ///< another sync was asked for while one ran
  uint64_t tick_generation = 0;
  uint64_t retry_generation = 0;
  caf::timespan retry_delay{0};
  std::map<std::string, sync_result> results; ///< by revision
  std::deque<std::string> result_order;       ///< oldest first
  std::string latest;
  int32_t restarts = 0;
  log::logger log{"sync"};
};

/// The sync loop of one repository (Flux v1 §7): syncs each new head, every
/// interval and on request; loads the manifests through the worker pool,
/// hands each resource's desired state to its resource actor in kind order
/// (stages run one after another, resources of a stage concurrently),
/// routes the per-kind watches' events to them, garbage collects, moves the
/// sync marker and keeps per-revision results.
sync_impl::behavior_type
sync_coordinator(sync_impl::stateful_pointer<sync_coordinator_state> self,
                 sync_coordinator_config config);

} // namespace fluxd
