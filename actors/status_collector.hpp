#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/log/log.hpp"
#include "adapters/ui/store.hpp"
#include "messages/git.hpp"

namespace fluxd {

struct status_collector_config {
  /// Where the actors are found: `root`, asked (get_atom, name) for each
  /// name of a path in turn.
  caf::actor root;
  std::vector<std::string> mirror_path{"repositories", "git-mirror"};
  /// The repository's sync coordinator (head, synced revision, errors).
  std::vector<std::string> sync_path{"repositories", "sync"};
  /// The registry scanner (its hosts).
  std::vector<std::string> scanner_path{"registries", "registry-scanner"};
  /// URL (sanitised), branch and paths from the flags; an empty URL (no
  /// --git-url) leaves the repositories alone and reports registries only.
  ui::repository_status repository;
  std::shared_ptr<ui::status_store> store;
  caf::timespan interval = std::chrono::seconds(5);
  caf::timespan timeout = std::chrono::seconds(2);
};

/// Only its own timer talks to it; everything it learns goes to the store.
using status_collector_actor = caf::typed_actor<caf::reacts_to<caf::tick_atom>>;

/// Feeds the status page: every `interval` asks the git mirror (status and
/// sync marker), the sync coordinator (head, synced revision, the revision
/// in progress, per-resource errors) and the registry scanner (its hosts),
/// each with `timeout`; writes what they say into the store and records
/// events when the head, the synced revision, the errors or a host's
/// back-off change. An actor busy (the mirror is detached and fetches) just
/// misses a round; the page keeps the last answer. A missing scanner marks
/// the registry hosts unavailable. The HTTP threads only ever read the store.
struct status_collector_state {
  static inline const char* name = "fluxd.status_collector";
  status_collector_config cfg;
  ui::repository_status repo;
  /// The sync coordinator answered once: its synced revision is the marker.
  bool sync_known = false;
  std::set<std::string> hosts_backing_off;
  log::logger log{"status_collector"};
};

status_collector_actor::behavior_type status_collector(
    status_collector_actor::stateful_pointer<status_collector_state> self,
    status_collector_config cfg);

} // namespace fluxd
