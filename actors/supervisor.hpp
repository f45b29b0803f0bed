#pragma once

#include <memory>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/behavior.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/stateful_actor.hpp"

#include "adapters/log/log.hpp"
#include "adapters/supervision/restart_policy.hpp"
#include "messages/core.hpp"

namespace fluxd {

/// A supervisor's children and how it treats them.
struct supervisor_config {
  std::string name;
  supervision::restart_policy policy;
  std::vector<child_spec> children; ///< started in order, stopped in reverse
  /// How long a child may take to stop before it is killed.
  caf::timespan stop_timeout = std::chrono::seconds(5);
};

struct supervised_child {
  child_spec spec;
  caf::actor handle;
  caf::actor_addr last_address; ///< recognises the child's exit messages
  bool running = false;
  uint32_t restarts = 0;
  uint64_t generation = 0; ///< invalidates stale restart/stop timers
  supervision::restart_tracker tracker;
};

struct supervisor_state {
  static inline const char* name = "fluxd.supervisor";
  supervisor_config config;
  std::vector<supervised_child> children;
  log::logger logger{"supervisor"};
  bool shutting_down = false;
  /// Running children, shared with the exit functor that stops them.
  std::shared_ptr<std::vector<caf::actor>> live
    = std::make_shared<std::vector<caf::actor>>();
  caf::error shutdown_reason;
};

/// Starts its children, restarts them with back-off when they die, and
/// escalates (quits with errc::restart_intensity) when one crashes too often.
/// An exit message from anyone but a child shuts it down in order: children
/// are stopped one at a time, last started first.
///
/// Messages: (get_atom, name) → caf::actor; (children_atom) →
/// std::vector<child_status>; (add_atom, child_spec) → starts a new child.
caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self,
                         supervisor_config config);

} // namespace fluxd
