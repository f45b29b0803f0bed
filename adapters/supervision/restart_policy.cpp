#include "adapters/supervision/restart_policy.hpp"

#include <algorithm>
#include <cmath>

namespace fluxd::supervision {

void restart_tracker::forget_before(time_point cutoff) {
  while (!crashes_.empty() && crashes_.front() <= cutoff)
    crashes_.pop_front();
}

int restart_tracker::recent(time_point now) {
  forget_before(now - policy_.window);
  return static_cast<int>(crashes_.size());
}

restart_decision restart_tracker::on_crash(time_point now) {
  forget_before(now - policy_.window);
  crashes_.push_back(now);
  auto n = static_cast<int>(crashes_.size());
  if (n > policy_.max_restarts)
    return {true, clock_duration{0}};
  // n-th crash in the window waits initial * multiplier^(n-1), capped.
  auto factor = std::pow(policy_.multiplier, n - 1);
  auto initial = std::chrono::duration<double>(policy_.initial_backoff);
  auto max = std::chrono::duration<double>(policy_.max_backoff);
  auto delay = std::min(initial * factor, max);
  return {false, std::chrono::duration_cast<clock_duration>(delay)};
}

} // namespace fluxd::supervision
