#pragma once

#include <memory>
#include <vector>

#include "adapters/config/daemon_config.hpp"
#include "adapters/registry/credentials.hpp"
#include "messages/core.hpp"

namespace fluxd {

/// The "registries" area's children for fluxd's flags: `registry-scanner`,
/// unless --registry-disable-scanning. Credentials: `pull_secrets` (the
/// cluster's imagePullSecrets, swapped in while running) before
/// --docker-config. Requests are counted in fluxd's metrics.
std::vector<child_spec>
registry_children(const config::daemon_config& flags,
                  std::shared_ptr<const registry::credentials_provider>
                    pull_secrets);

} // namespace fluxd
