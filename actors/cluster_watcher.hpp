#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "caf/stateful_actor.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/kube/client.hpp"
#include "adapters/kube/watch.hpp"
#include "adapters/log/log.hpp"
#include "messages/cluster.hpp"

namespace fluxd {

struct cluster_watcher_config {
  std::shared_ptr<kube::client> client;
  std::string api_version;
  std::string fallback_api_version; ///< tried when the first is not served
  std::string kind;
  std::string ns; ///< "" for every namespace
  /// Workload kinds send their workloads; other kinds (Secret,
  /// ServiceAccount) only say that something changed.
  bool workloads = true;
  cluster_view_full_actor view;
  std::string key; ///< kind@namespace, echoed to the view
  std::shared_ptr<kube::stream_cancel> cancel;
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
  /// How often a kind the server does not serve (or forbids) is tried
  /// again: a HelmRelease CRD may be installed later.
  std::chrono::milliseconds recheck_interval{std::chrono::seconds(60)};
};

struct cluster_watcher_state {
  static inline const char* name = "fluxd.cluster_watcher";
  log::logger log{"cluster"};
};

/// An informer for one kind in one namespace (or all): list, then watch
/// from that resourceVersion, re-list on 410 Gone, back off while the API
/// server is away. Workloads are computed here, on this thread, so the
/// view only stores them. Spawn detached and send cluster_watch once; it
/// blocks in that handler until `cancel` fires.
cluster_watcher_actor::behavior_type cluster_watcher(
    cluster_watcher_actor::stateful_pointer<cluster_watcher_state> self,
    cluster_watcher_config config);

} // namespace fluxd
