#pragma once

#include <memory>
#include <vector>

#include "actors/child_handles.hpp"
#include "adapters/config/daemon_config.hpp"
#include "adapters/manifests/loader.hpp"
#include "messages/core.hpp"

namespace fluxd {

/// How fluxd's flags read manifests (paths, namespaces).
manifests::load_options load_options_of(const config::daemon_config& flags);

/// The "automation" area's children for fluxd's flags, none without
/// --git-url: `jobs` (the repository's job_queue: releases, policy
/// changes, syncs; commits refused with --git-readonly) and `automation`
/// (the workloads at the branch head; it queues automated updates unless
/// --git-readonly or --registry-disable-scanning). They find git-mirror,
/// git-writer, registry-scanner, notifier and each other in `handles` when
/// they start, and stop with them (so a restarted mirror is never talked
/// to through a dead handle).
std::vector<child_spec>
automation_children(const config::daemon_config& flags,
                    std::shared_ptr<child_handles> handles);

} // namespace fluxd
