#pragma once

#include <memory>
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
  /// Where the git mirror is found: `root`, asked (get_atom, name) for each
  /// name of `mirror_path` in turn ({"repositories", "git-mirror"}).
  caf::actor root;
  std::vector<std::string> mirror_path{"repositories", "git-mirror"};
  /// URL (sanitised), branch and paths from the flags.
  ui::repository_status repository;
  std::shared_ptr<ui::status_store> store;
  caf::timespan interval = std::chrono::seconds(5);
  caf::timespan timeout = std::chrono::seconds(2);
};

/// Only its own timer talks to it; everything it learns goes to the store.
using status_collector_actor = caf::typed_actor<caf::reacts_to<caf::tick_atom>>;

/// Feeds the status page: every `interval` asks the git mirror (status and
/// sync marker) with `timeout`, writes the repository into the store and
/// records events when the head, the marker or the error changes. A mirror
/// busy fetching (it is detached) just misses a round; the page keeps the
/// last answer. The HTTP threads only ever read the store.
struct status_collector_state {
  static inline const char* name = "fluxd.status_collector";
  status_collector_config cfg;
  ui::repository_status repo;
  log::logger log{"status_collector"};
};

status_collector_actor::behavior_type status_collector(
    status_collector_actor::stateful_pointer<status_collector_state> self,
    status_collector_config cfg);

} // namespace fluxd
