#pragma once

#include <chrono>
#include <memory>
#include <string>

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

struct kube_watcher_state {
  static inline const char* name = "fluxd.kube_watcher";
  log::logger log{"sync"};
};

/// Informer for one kind: list, then watch from there, re-list on 410,
/// reconnect with back-off while the API server is away. Every event goes
/// to the sink. Spawn detached and send it watch_kind once; it blocks in
/// that handler until `cancel` fires (its owner does that when it exits).
kube_watcher_actor::behavior_type
kube_watcher(kube_watcher_actor::stateful_pointer<kube_watcher_state> self,
             kube_watcher_config config);

} // namespace fluxd
