#pragma once

#include "adapters/metrics/registry.hpp"

namespace fluxd::notify {

/// The notifier's metric families in the default registry, created once
/// (the notifier may be restarted, and tests start several).
struct notify_metrics {
  /// result: delivered | rejected (a 4xx) | gave_up (out of attempts)
  metrics::family<metrics::counter>& deliveries;
  metrics::family<metrics::counter>& retries;
  metrics::family<metrics::counter>& dropped;
  /// From an event's arrival to its delivery, retries included.
  metrics::family<metrics::histogram>& latency;
  metrics::family<metrics::gauge>& queued;
};

notify_metrics& standard_metrics();

} // namespace fluxd::notify
