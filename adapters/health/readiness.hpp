#pragma once

#include <map>
#include <mutex>
#include <string>

namespace fluxd::health {

/// Which components are ready, for /readyz. Components register themselves
/// as not ready at start and flip to ready once they can do their job.
class readiness {
public:
  struct state {
    bool ready = false;
    std::string reason; ///< why not ready (or empty)
  };

  void set(const std::string& component, bool ready, std::string reason = {});
  void remove(const std::string& component);
  bool all_ready() const;
  std::map<std::string, state> snapshot() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, state> components_;
};

} // namespace fluxd::health
