#pragma once

#include "adapters/metrics/registry.hpp"

namespace fluxd::metrics {

/// fluxd's metric families, registered once in the default registry. Names
/// and labels are Flux v1's where Flux v1 had the metric (reference §12), so
/// existing dashboards and alerts keep working; `fluxd_*` names are new.
struct fluxd_metrics {
  // -- Flux v1 ---------------------------------------------------------------
  family<histogram>& sync_duration;       ///< success
  family<gauge>& sync_manifests;          ///< success
  family<histogram>& job_duration;        ///< success
  family<histogram>& queue_duration;
  family<gauge>& queue_length;
  family<gauge>& git_ready;
  family<histogram>& release_duration;    ///< release_type, release_kind, success
  family<histogram>& release_stage_duration; ///< stage
  family<histogram>& registry_fetch_duration; ///< success
  family<histogram>& client_fetch_duration;   ///< kind, success
  // -- fluxd -----------------------------------------------------------------
  family<gauge>& build_info;              ///< version
  family<counter>& actor_restarts;        ///< supervisor, child
  family<counter>& actor_escalations;     ///< supervisor
};

/// The families in default_registry(), created on first use.
fluxd_metrics& standard();

} // namespace fluxd::metrics
