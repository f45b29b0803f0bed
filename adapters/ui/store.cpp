#include "adapters/ui/store.hpp"

namespace fluxd::ui {

void status_store::set_repositories(std::vector<repository_status> repos) {
  std::lock_guard<std::mutex> guard{mtx_};
  repositories_ = std::move(repos);
}

void status_store::set_registry_hosts(
    std::optional<std::vector<registry_host_status>> hosts) {
  std::lock_guard<std::mutex> guard{mtx_};
  registry_hosts_ = std::move(hosts);
}

void status_store::record(event e) {
  std::lock_guard<std::mutex> guard{mtx_};
  events_.push_front(std::move(e));
  while (events_.size() > max_events_)
    events_.pop_back();
}

status_snapshot status_store::snapshot() const {
  status_snapshot snap;
  std::lock_guard<std::mutex> guard{mtx_};
  snap.repositories = repositories_;
  snap.events.assign(events_.begin(), events_.end());
  if (registry_hosts_)
    snap.registry_hosts = *registry_hosts_;
  else
    snap.unavailable.push_back("registry_hosts");
  return snap;
}

} // namespace fluxd::ui
