#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "caf/stateful_actor.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/kube/client.hpp"
#include "adapters/log/log.hpp"
#include "adapters/registry/credentials.hpp"
#include "messages/cluster.hpp"

namespace fluxd {

struct cluster_worker_config {
  std::shared_ptr<kube::client> client;
  std::vector<std::string> allowed_namespaces;
  /// Where read pull secrets go; null: cluster_creds is refused.
  std::shared_ptr<registry::swappable_credentials> pull_secrets;
  /// Per HTTP request, so a worker is never stuck longer than its caller
  /// waits.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds ping_timeout{std::chrono::seconds(5)};
};

struct cluster_worker_state {
  static inline const char* name = "fluxd.cluster_worker";
  log::logger log{"cluster"};
};

/// The cluster view's blocking calls. Spawn detached. Failures become
/// cluster_errc errors: unreachable (no answer), api (the server refused).
cluster_worker_actor::behavior_type cluster_worker(
    cluster_worker_actor::stateful_pointer<cluster_worker_state> self,
    cluster_worker_config config);

/// Turns the exception in flight into a cluster error (for catch blocks).
caf::error current_cluster_error();

} // namespace fluxd
