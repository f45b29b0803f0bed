#pragma once

#include <deque>
#include <mutex>
#include <vector>

#include "adapters/ui/status.hpp"

namespace fluxd::ui {

/// The parts of the status page that actors push: a status collector
/// writes, HTTP threads read a copy. Reads take one short lock and never
/// wait on an actor, git or a registry.
class status_store {
public:
  explicit status_store(size_t max_events = 100) : max_events_(max_events) {}

  void set_repositories(std::vector<repository_status> repos);

  /// Keeps the newest `max_events`; the oldest is dropped first.
  void record(event e);

  /// Repositories and events (newest first) in a fresh snapshot.
  status_snapshot snapshot() const;

private:
  mutable std::mutex mtx_;
  size_t max_events_;
  std::vector<repository_status> repositories_;
  std::deque<event> events_; ///< newest at the front
};

} // namespace fluxd::ui
