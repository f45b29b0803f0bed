#include "adapters/health/readiness.hpp"

namespace fluxd::health {

void readiness::set(const std::string& component, bool ready,
                    std::string reason) {
  std::lock_guard<std::mutex> guard{mtx_};
  components_[component] = state{ready, std::move(reason)};
}

void readiness::remove(const std::string& component) {
  std::lock_guard<std::mutex> guard{mtx_};
  components_.erase(component);
}

bool readiness::all_ready() const {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& [name, st] : components_)
    if (!st.ready)
      return false;
  return true;
}

std::map<std::string, readiness::state> readiness::snapshot() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return components_;
}

} // namespace fluxd::health
