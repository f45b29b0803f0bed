#pragma once

#include <chrono>
#include <deque>

namespace fluxd::supervision {

using clock_duration = std::chrono::steady_clock::duration;
using time_point = std::chrono::steady_clock::time_point;

/// Exponential back-off between restarts and a restart-intensity limit:
/// more than `max_restarts` within `window` means restarting does not help,
/// so the supervisor gives up and escalates to its own supervisor.
struct restart_policy {
  clock_duration initial_backoff = std::chrono::milliseconds(100);
  clock_duration max_backoff = std::chrono::seconds(30);
  double multiplier = 2.0;
  int max_restarts = 5;
  clock_duration window = std::chrono::seconds(60);
};

struct restart_decision {
  bool escalate = false;
  clock_duration delay{0}; ///< wait this long before restarting
};

/// Remembers one child's recent crashes and decides what the next one means.
class restart_tracker {
public:
  explicit restart_tracker(restart_policy policy = {}) : policy_(policy) {}

  /// Records a crash at `now` and decides: restart after a delay, or escalate.
  restart_decision on_crash(time_point now);

  /// Crashes still inside the window at `now`.
  int recent(time_point now);

private:
  void forget_before(time_point cutoff);

  restart_policy policy_;
  std::deque<time_point> crashes_;
};

} // namespace fluxd::supervision
