#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

#include "adapters/notify/webhook.hpp"

/// The events waiting for one webhook, oldest first, and what to do after
/// each attempt: pure logic, so that the actor stays thin and the retry
/// rules are tested without a clock.
namespace fluxd::notify {

struct retry_policy {
  int max_attempts = 6; ///< then the event is given up
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60000};
  double multiplier = 2.0;
  /// Retry-After is honoured up to this long; a receiver cannot park an
  /// event (and everything behind it) for hours.
  std::chrono::milliseconds max_retry_after{300000};
  size_t max_queue = 100; ///< waiting events; the oldest is dropped
};

struct queued_event {
  delivery what;
  std::chrono::steady_clock::time_point enqueued{};
  int attempts = 0;
};

enum class verdict { delivered, retry, gave_up };

struct decision {
  verdict what = verdict::retry;
  std::chrono::milliseconds delay{0}; ///< before the next attempt
  queued_event done;                  ///< the event, when it left the queue
};

class delivery_queue {
public:
  explicit delivery_queue(retry_policy p = {}) : policy_(p) {}

  /// Appends; when the queue is full the oldest event is dropped (even one
  /// being retried) and true is returned.
  bool push(queued_event e);

  bool empty() const { return q_.empty(); }
  size_t size() const { return q_.size(); }
  const queued_event& front() const { return q_.front(); }
  uint64_t dropped() const { return dropped_; }

  /// Records the outcome of an attempt at the front event: delivered and
  /// given-up events leave the queue; a retry says how long to wait
  /// (exponential back-off, or Retry-After when that is longer).
  decision record(const attempt_result& r);

  /// The back-off before attempt `attempts + 1` (attempts ≥ 1).
  std::chrono::milliseconds backoff(int attempts) const;

  const retry_policy& policy() const { return policy_; }

private:
  retry_policy policy_;
  std::deque<queued_event> q_;
  uint64_t dropped_ = 0;
};

} // namespace fluxd::notify
