#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "adapters/config/daemon_config.hpp"
#include "adapters/health/readiness.hpp"
#include "adapters/sync/revision_cache.hpp"
#include "messages/automation.hpp"
#include "messages/core.hpp"
#include "messages/git.hpp"

namespace fluxd {

/// The "repositories" area's children for fluxd's flags: git_children()
/// (their handles recorded as they start, so the sync finds the current
/// ones after a restart), then `sync`: the sync_coordinator, when there is
/// a --git-url and a Kubernetes configuration (--kube-config, KUBECONFIG,
/// ~/.kube/config or in-cluster). Without one, fluxd logs why and does not
/// sync. `on_git_status` goes to git_children(); `readiness` gets
/// "cluster" (it must outlive the actors); `events` (optional, looked up on
/// every event) gets a `sync` event after each sync that brought commits.
std::vector<child_spec>
repository_children(const config::daemon_config& flags,
                    std::function<void(const git_status&)> on_git_status,
                    health::readiness* readiness,
                    std::function<event_sink_actor()> events = {});

/// The revision cache that the sync and the automation of fluxd's flags
/// share, so each file of a revision is parsed once for both: the same one
/// for the same repository, branch and paths while anybody holds it (the
/// children that repository_children() and automation_children() return
/// hold it).
std::shared_ptr<sync::revision_cache>
shared_revision_cache(const config::daemon_config& flags);

} // namespace fluxd
