#include "adapters/registry/metrics.hpp"

#include <string>

namespace fluxd::registry {

registry_metrics& registry_metrics::standard() {
  static registry_metrics* m = [] {
    auto& r = metrics::default_registry();
    return new registry_metrics{
      r.add_counter("fluxd_registry_requests_total",
                    "HTTP requests to container registries.",
                    {"host", "kind", "status"}),
      r.add_counter("fluxd_registry_backoffs_total",
                    "Times a registry host was paused after 429, 5xx or "
                    "failing to answer.",
                    {"host"}),
      r.add_counter("fluxd_registry_metadata_cache_hits_total",
                    "Image tags whose metadata came from the cache."),
      r.add_counter("fluxd_registry_metadata_cache_misses_total",
                    "Image tags whose metadata was fetched from a registry."),
    };
  }();
  return *m;
}

void count_request(const request_event& ev) {
  registry_metrics::standard()
    .requests
    .with({ev.host, to_string(ev.kind),
           ev.status == 0 ? std::string{"none"} : std::to_string(ev.status)})
    .inc();
}

} // namespace fluxd::registry
