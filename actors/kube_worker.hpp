#pragma once

#include <memory>

#include "caf/stateful_actor.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/log/log.hpp"
#include "adapters/sync/cluster.hpp"
#include "messages/sync.hpp"

namespace fluxd {

struct kube_worker_state {
  static inline const char* name = "fluxd.kube_worker";
  /// Shared by the pool: the client is thread-safe.
  std::shared_ptr<sync::cluster_ops> ops;
  log::logger log{"sync"};
};

/// One of the sync's pool of blocking Kubernetes callers: the pool's size
/// bounds the concurrency of applies, the client's token bucket their
/// rate. Spawn detached. Adapter failures become sync_errc errors:
/// unreachable (transport), api (the server refused), other.
kube_worker_actor::behavior_type
kube_worker(kube_worker_actor::stateful_pointer<kube_worker_state> self,
            std::shared_ptr<sync::cluster_ops> ops);

/// Turns the exception in flight into a sync error (for catch blocks).
caf::error current_sync_error();

} // namespace fluxd
