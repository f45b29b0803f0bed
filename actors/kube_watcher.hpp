#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "caf/actor.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/kube/client.hpp"
#include "adapters/kube/watch.hpp"
#include "adapters/log/log.hpp"
#include "messages/sync.hpp"

namespace fluxd {

struct kube_watcher_config {
  std::shared_ptr<kube::client> client;
  std::string api_version;
  std::string kind;
  std::string ns; ///< "" for all namespaces (or a cluster-scoped kind)
  std::string label_selector;
  /// Gets live_event per object and (watch_synced_atom, key, ids) after
  /// each full list.
  caf::actor sink;
  std::string key; ///< echoed in watch_synced messages
  std::shared_ptr<kube::stream_cancel> cancel;
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
};

/// Private: the watch thread is done (cancelled, or the stream ended).
using kube_watcher_impl =
  kube_watcher_actor::extend<caf::reacts_to<watch_ended_atom, std::string>>;

struct kube_watcher_state {
  static inline const char* name = "fluxd.kube_watcher";
  /// Runs the blocking watch loop; shared with the exit functor, which
  /// joins it (the state may be gone by then).
  std::shared_ptr<std::thread> thread = std::make_shared<std::thread>();
  log::logger log{"sync"};
};

/// Informer for one kind: list, then watch from there, re-list on 410,
/// reconnect with back-off while the API server is away. Every event goes
/// to the sink. Spawn detached and send it watch_kind once. The blocking
/// loop runs on a thread of its own so that the actor still answers exit
/// messages: killing the actor cancels and joins the loop. When the loop
/// ends without being cancelled (the watch failed for good) the actor
/// ends with an error, for its owner to start another; cancelled, it ends
/// normally.
kube_watcher_impl::behavior_type
kube_watcher(kube_watcher_impl::stateful_pointer<kube_watcher_state> self,
             kube_watcher_config config);

} // namespace fluxd
