#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
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

struct cluster_view_config {
  std::shared_ptr<kube::client> client;
  /// --k8s-allow-namespace (with --k8s-namespace-whitelist); empty: all.
  std::vector<std::string> allowed_namespaces;
  /// Gets the imagePullSecrets of the watched workloads (§6.3); null: no
  /// Secret or ServiceAccount is read.
  std::shared_ptr<registry::swappable_credentials> pull_secrets;
  /// Pull secrets are re-read this long after a change, and at least
  /// every `credentials_interval`.
  caf::timespan credentials_debounce = std::chrono::milliseconds(300);
  caf::timespan credentials_interval = std::chrono::minutes(1);
  caf::timespan ping_timeout = std::chrono::seconds(5);
  caf::timespan export_timeout = std::chrono::seconds(60);
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
  std::chrono::milliseconds recheck_interval{std::chrono::seconds(60)};
};

struct cluster_view_state {
  static inline const char* name = "fluxd.cluster_view";
  log::logger log{"cluster"};
  cluster_view_config cfg;
  /// Workloads by watch key, then by ID.
  std::map<std::string, std::map<std::string, watched_workload>> by_key;
  std::set<std::string> workload_keys; ///< every workload watch
  std::set<std::string> listed;        ///< keys listed (or skipped) once
  bool synced = false;
  std::vector<std::shared_ptr<kube::stream_cancel>> cancels;
  /// One each, so a long export never makes a ping look failed.
  cluster_worker_actor exporter;
  cluster_worker_actor pinger;
  cluster_worker_actor creds; ///< pull secrets
  bool creds_dirty = false;
  bool creds_scheduled = false;
  bool creds_running = false;
  std::vector<std::string> creds_problems; ///< last reported
  std::set<std::string> creds_consulted;   ///< Secrets of the last pass
  /// How many watched workloads name each source: credentials are read
  /// again when a source comes or goes, not for every new workload.
  std::map<pull_secret_source, size_t> sources;
};

/// The workloads of the allowed namespaces as the cluster runs them, kept
/// from one watch per workload kind and namespace (one across all
/// namespaces without an allow list), so list-workloads never waits for
/// the API server; export and ping go to a detached worker with a timeout;
/// the pull secrets of the watched workloads are read into
/// `pull_secrets` when workloads, Secrets or ServiceAccounts change and
/// every minute. One per fluxd, named "cluster-view".
cluster_view_full_actor::behavior_type
cluster_view(cluster_view_full_actor::stateful_pointer<cluster_view_state> self,
             cluster_view_config config);

} // namespace fluxd
