#pragma once

#include <chrono>

#include "adapters/api/daemon_api.hpp"
#include "adapters/health/readiness.hpp"
#include "adapters/ui/status.hpp"

namespace fluxd::ui {

/// Fills the daemon section: version, start time and which components are
/// not ready yet (from /readyz's state).
void fill_daemon(status_snapshot& snap, const health::readiness& ready,
                 const std::string& version, time_point started);

/// Fills what the Flux API can tell into `snap`: the version, the git
/// repository (git_repo_config(false)), workloads (list_services) and images
/// (list_images "<all>"); the repository only when `snap` has none yet.
/// daemon_api's reads are answered from state the daemon holds, with
/// bounded timeouts, so this never waits on git or a registry. A call that
/// throws leaves its section in `snap.unavailable` (logged at debug), and
/// the others are still filled.
void fill_from_api(status_snapshot& snap, api::daemon_api& daemon);

/// `inner` with its snapshot reused for `max_age`: every open page polls,
/// and one build of the snapshot serves them all. Callers that arrive while
/// a build runs wait for it instead of starting another. Thread-safe.
status_provider cached(status_provider inner,
                       std::chrono::milliseconds max_age);

} // namespace fluxd::ui
