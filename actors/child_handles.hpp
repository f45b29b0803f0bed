#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "caf/actor.hpp"

#include "messages/core.hpp"

namespace fluxd {

/// The current handle of every named child of every area, written by the
/// children's start functions: an actor started later finds the ones it
/// talks to here, and after a restart finds the new ones.
class child_handles {
public:
  void set(const std::string& name, caf::actor handle);
  /// Null when no child of that name has started.
  caf::actor get(const std::string& name) const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, caf::actor> by_name_;
};

/// `specs` with start functions that record each new handle in `handles`.
std::vector<child_spec> recorded(std::vector<child_spec> specs,
                                 std::shared_ptr<child_handles> handles);

/// Stops `dependant` (errc::dependency_stopped) when any of `dependencies`
/// stops, so its supervisor restarts it with their successors: an actor
/// that holds another's handle must not outlive it. Null entries are
/// skipped.
void stop_with(const caf::actor& dependant,
               const std::vector<caf::actor>& dependencies);

} // namespace fluxd
