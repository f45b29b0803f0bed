#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "caf/duration.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/log/log.hpp"
#include "adapters/registry/metadata_cache.hpp"
#include "messages/registry.hpp"

namespace fluxd {

struct image_repo_config {
  std::string repository; ///< canonical: index.docker.io/library/alpine
  std::string path;       ///< as the registry knows it: library/alpine
  registry_host_actor host;
  /// The on-disk cache in --state-dir; null keeps everything in memory.
  std::shared_ptr<registry::metadata_cache> cache;
  /// Writes the cache files when set; otherwise image_repo writes them
  /// itself (tests, tools).
  metadata_writer_actor writer;
  std::chrono::seconds poll_interval{300}; ///< --registry-poll-interval
  /// The host answers every job (its fetchers time out by themselves) and
  /// a host that dies restarts its repositories: no timeout per request,
  /// whose stale timer CAF 0.17 would still deliver (see registry_host).
  caf::duration request_timeout = caf::infinite;
  bool use_labels = false; ///< --registry-use-labels matched this repo
};

/// Self-messages: the poll timer, with a generation so rescans reset it.
using image_repo_impl =
  image_repo_actor::extend<caf::reacts_to<scan_tick_atom, uint64_t>>;

/// Keeps one repository's tags and metadata: reloads them from the on-disk
/// cache at start, lists tags every poll interval, fetches per-tag metadata
/// only while a subscriber needs creation times and only for tags that are
/// new or due (Flux v1's adaptive per-tag refresh), persists the result and
/// tells subscribers when something changed.
struct image_repo_state {
  static inline const char* name = "fluxd.image_repo";

  image_repo_config cfg;
  registry::repository_record record;
  uint64_t version = 0;
  uint64_t scans = 0;
  std::map<caf::actor_addr, std::pair<repo_listener_actor, bool>> listeners;
  bool scanning = false;
  bool listing = false; ///< the scan waits for its tag list
  bool rescan_pending = false;
  bool pending_priority = false;
  uint64_t tick_generation = 0;
  size_t outstanding = 0; ///< metadata fetches of this scan in flight
  size_t attempted = 0;   ///< metadata fetches of this scan
  size_t successful = 0;
  bool scan_priority = false;
  bool scan_changed = false;
  std::string scan_error;
  log::logger log{"image_repo"};
};

image_repo_impl::behavior_type
image_repo(image_repo_impl::stateful_pointer<image_repo_state> self,
           image_repo_config cfg);

} // namespace fluxd
