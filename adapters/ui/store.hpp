#pragma once

#include <deque>
#include <mutex>
#include <optional>
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

  /// The scanner's hosts; nullopt (the start) when there is no scanner to
  /// ask, so the page says so instead of showing an empty table.
  void set_registry_hosts(
      std::optional<std::vector<registry_host_status>> hosts);

  /// Keeps the newest `max_events`; the oldest is dropped first.
  void record(event e);

  /// Repositories, events (newest first) and registry hosts (or
  /// "registry_hosts" in `unavailable`) in a fresh snapshot.
  status_snapshot snapshot() const;

private:
  mutable std::mutex mtx_;
  size_t max_events_;
  std::vector<repository_status> repositories_;
  std::deque<event> events_; ///< newest at the front
  std::optional<std::vector<registry_host_status>> registry_hosts_;
};

} // namespace fluxd::ui
