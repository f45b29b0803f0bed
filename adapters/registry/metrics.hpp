#pragma once

#include "adapters/metrics/registry.hpp"
#include "adapters/registry/client.hpp"

/// Registry scanning metrics beyond Flux v1's two histograms (which live in
/// metrics::standard()): requests by host, kind and status, back-offs, and
/// how often per-tag metadata came from the cache instead of a registry.
namespace fluxd::registry {

struct registry_metrics {
  metrics::family<metrics::counter>& requests;   ///< host, kind, status
  metrics::family<metrics::counter>& backoffs;   ///< host
  metrics::family<metrics::counter>& cache_hits; ///< tags served from cache
  metrics::family<metrics::counter>& cache_misses; ///< tags fetched

  /// The families in metrics::default_registry(), created on first use.
  static registry_metrics& standard();
};

/// Counts one HTTP exchange (status "none" when nothing answered).
void count_request(const request_event& ev);

} // namespace fluxd::registry
