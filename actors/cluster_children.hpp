#pragma once

#include <memory>
#include <vector>

#include "adapters/config/daemon_config.hpp"
#include "adapters/registry/credentials.hpp"
#include "messages/core.hpp"

namespace fluxd {

/// The "cluster" area's children for fluxd's flags: `cluster-view` (the
/// cluster_view actor), or nothing when there is no Kubernetes
/// configuration (--kube-config, KUBECONFIG, ~/.kube/config or
/// in-cluster). Its scope is --k8s-allow-namespace plus the deprecated
/// --k8s-namespace-whitelist; the imagePullSecrets it reads go into
/// `pull_secrets` (may be null: then it reads none).
std::vector<child_spec>
cluster_children(const config::daemon_config& flags,
                 std::shared_ptr<registry::swappable_credentials> pull_secrets);

} // namespace fluxd
