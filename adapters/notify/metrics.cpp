#include "adapters/notify/metrics.hpp"

namespace fluxd::notify {

notify_metrics& standard_metrics() {
  static notify_metrics* m = [] {
    auto& r = metrics::default_registry();
    return new notify_metrics{
        r.add_counter("fluxd_notify_deliveries_total",
                      "Events that left a webhook's queue, by result.",
                      {"result"}),
        r.add_counter("fluxd_notify_retries_total",
                      "Webhook deliveries attempted again after a failure."),
        r.add_counter("fluxd_notify_dropped_total",
                      "Events dropped because a webhook's queue was full."),
        r.add_histogram("fluxd_notify_delivery_latency_seconds",
                        "Seconds from an event to its delivery, retries "
                        "included.",
                        {}, {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}),
        r.add_gauge("fluxd_notify_queued_events",
                    "Events waiting for delivery, all webhooks together."),
    };
  }();
  return *m;
}

} // namespace fluxd::notify
