#include "adapters/notify/delivery_queue.hpp"

#include <algorithm>
#include <cmath>

namespace fluxd::notify {

using std::chrono::milliseconds;

bool delivery_queue::push(queued_event e) {
  bool dropped = false;
  if (policy_.max_queue > 0 && q_.size() >= policy_.max_queue) {
    q_.pop_front();
    ++dropped_;
    dropped = true;
  }
  q_.push_back(std::move(e));
  return dropped;
}

milliseconds delivery_queue::backoff(int attempts) const {
  double ms = static_cast<double>(policy_.initial_backoff.count())
              * std::pow(policy_.multiplier, std::max(0, attempts - 1));
  double cap = static_cast<double>(policy_.max_backoff.count());
  return milliseconds{static_cast<int64_t>(std::min(ms, cap))};
}

decision delivery_queue::record(const attempt_result& r) {
  decision d;
  if (q_.empty())
    return d;
  auto& head = q_.front();
  ++head.attempts;
  bool retry = r.outcome == attempt_result::kind::retry
               && head.attempts < policy_.max_attempts;
  if (retry) {
    d.what = verdict::retry;
    d.delay = backoff(head.attempts);
    if (r.retry_after) {
      milliseconds asked = *r.retry_after;
      d.delay = std::max(d.delay, std::min(asked, policy_.max_retry_after));
    }
    return d;
  }
  d.what = r.outcome == attempt_result::kind::delivered ? verdict::delivered
                                                        : verdict::gave_up;
  d.done = std::move(head);
  q_.pop_front();
  return d;
}

} // namespace fluxd::notify
