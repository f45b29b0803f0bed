#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/type_id.hpp"
#include "caf/typed_actor.hpp"

#include "messages/ids.hpp"

/// The cluster protocol: `cluster_view` (one per fluxd, under the "cluster"
/// area as "cluster-view") keeps the workloads of the allowed namespaces as
/// watches report them, so the API lists workloads from memory, and answers
/// export and ping with one blocking call in a detached worker.
namespace fluxd {

/// A container of a live workload (`containers`, then `initContainers`).
struct live_container {
  std::string name;
  std::string image; ///< as the cluster object spells it
};

/// A workload as the cluster runs it (Flux v1 §6.1, §6.2).
struct live_workload {
  std::string id; ///< namespace:kind/name, kind lower case
  std::vector<live_container> containers;
  /// Why `containers` is empty although the object has some (an image that
  /// does not parse); releases of the workload fail with it.
  std::string excuse;
  std::string status; ///< ready|updating|started|error, or a HelmRelease's
  int32_t desired = 0;
  int32_t updated = 0;
  int32_t ready = 0;
  int32_t available = 0;
  int32_t outdated = 0;
  std::vector<std::string> messages; ///< rollout failure messages
  std::string antecedent; ///< helm.fluxcd.io/antecedent, when it parses
  std::map<std::string, std::string> labels;
};

/// Private to the cluster view's actors: a workload as a watch reports it,
/// with where its image pull secrets are named (§6.3).
struct watched_workload {
  live_workload workload;
  std::string ns;
  std::string service_account; ///< "" for a HelmRelease
  std::vector<std::string> pull_secrets;
};

/// Private to the cluster view's actors: where pull secrets are named for
/// some workloads (one per distinct namespace, account and pod secrets).
struct pull_secret_source {
  std::string ns;
  std::string service_account; ///< "" for a HelmRelease
  std::vector<std::string> pull_secrets;

  friend bool operator<(const pull_secret_source& a,
                        const pull_secret_source& b) {
    return std::tie(a.ns, a.service_account, a.pull_secrets)
           < std::tie(b.ns, b.service_account, b.pull_secrets);
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pull_secret_source& x) {
  return f(caf::meta::type_name("pull_secret_source"), x.ns,
           x.service_account, x.pull_secrets);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, live_container& x) {
  return f(caf::meta::type_name("live_container"), x.name, x.image);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, live_workload& x) {
  return f(caf::meta::type_name("live_workload"), x.id, x.containers,
           x.excuse, x.status, x.desired, x.updated, x.ready, x.available,
           x.outdated, x.messages, x.antecedent, x.labels);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watched_workload& x) {
  return f(caf::meta::type_name("watched_workload"), x.workload, x.ns,
           x.service_account, x.pull_secrets);
}

/// Errors of the cluster view (category "cluster").
enum class cluster_errc : uint8_t {
  unreachable = 1, ///< the API server did not answer (context: why)
  not_synced,      ///< the first list of workloads has not finished yet
  api,             ///< the API refused (context: its Status message)
};

std::string to_string(cluster_errc x);
std::string render_cluster_error(uint8_t code, caf::atom_value category,
                                 const caf::message& context);

} // namespace fluxd

CAF_ERROR_CODE_ENUM(fluxd::cluster_errc, "cluster")

CAF_BEGIN_TYPE_ID_BLOCK(fluxd_cluster, fluxd::type_id_range::cluster)
  CAF_ADD_TYPE_ID(fluxd_cluster, (fluxd::live_container))
  CAF_ADD_TYPE_ID(fluxd_cluster, (std::vector<fluxd::live_container>))
  CAF_ADD_TYPE_ID(fluxd_cluster, (fluxd::live_workload))
  CAF_ADD_TYPE_ID(fluxd_cluster, (std::vector<fluxd::live_workload>))
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_workloads_atom, "clworkload")
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_export_atom, "clexport")
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_ping_atom, "clping")
  // Private to actors/cluster_*: the view, its watchers and workers.
  CAF_ADD_TYPE_ID(fluxd_cluster, (fluxd::watched_workload))
  CAF_ADD_TYPE_ID(fluxd_cluster, (std::vector<fluxd::watched_workload>))
  CAF_ADD_TYPE_ID(fluxd_cluster, (fluxd::pull_secret_source))
  CAF_ADD_TYPE_ID(fluxd_cluster, (std::vector<fluxd::pull_secret_source>))
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_watch_atom, "clwatch")
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_synced_atom, "clsynced")
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_upsert_atom, "clupsert")
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_remove_atom, "clremove")
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_skipped_atom, "clskipped")
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_touch_atom, "cltouch")
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_refresh_atom, "clrefresh")
  CAF_ADD_ATOM(fluxd_cluster, fluxd, cluster_creds_atom, "clcreds")
CAF_END_TYPE_ID_BLOCK(fluxd_cluster)

namespace fluxd {

/// What the API asks of the cluster.
using cluster_view_actor = caf::typed_actor<
  /// Workloads in a namespace ("" for every allowed namespace), from the
  /// watch cache; error cluster_errc::not_synced before the first list.
  caf::replies_to<cluster_workloads_atom, std::string>::with<
    std::vector<live_workload>>,
  /// Flux v1's export: every object of the allowed namespaces as a YAML
  /// stream (§3.4.8).
  caf::replies_to<cluster_export_atom>::with<std::string>,
  /// The API server answers (Flux v1's ping: its version endpoint).
  caf::replies_to<cluster_ping_atom>::with<bool>>;

// -- private to actors/cluster_* ---------------------------------------------

/// What the view's watchers send it. A key names one watch (kind@namespace).
using cluster_view_full_actor = cluster_view_actor::extend<
  /// A full list (at the start, after 410 Gone): the key's workloads.
  caf::reacts_to<cluster_synced_atom, std::string,
                 std::vector<watched_workload>>,
  caf::reacts_to<cluster_upsert_atom, std::string, watched_workload>,
  caf::reacts_to<cluster_remove_atom, std::string, std::string>,
  /// The server does not serve or forbids the kind: it counts as listed.
  caf::reacts_to<cluster_skipped_atom, std::string, std::string>,
  /// A Secret or ServiceAccount (kind, `ns/name`) changed, or was listed
  /// again (name ""): pull credentials are re-read if it is one of theirs.
  caf::reacts_to<cluster_touch_atom, std::string, std::string>,
  caf::reacts_to<cluster_refresh_atom>, caf::reacts_to<caf::tick_atom>>;

/// One watch (detached): started by a single cluster_watch message, it then
/// runs until its stream_cancel fires.
using cluster_watcher_actor =
  caf::typed_actor<caf::reacts_to<cluster_watch_atom>>;

/// The view's blocking calls (detached): export, ping, and reading the pull
/// secrets of the given sources into the shared credentials (the reply:
/// the secrets that could not be used and why, and every `ns/name` asked
/// for).
using cluster_worker_actor = caf::typed_actor<
  caf::replies_to<cluster_export_atom>::with<std::string>,
  caf::replies_to<cluster_ping_atom>::with<bool>,
  caf::replies_to<cluster_creds_atom, std::vector<pull_secret_source>>::with<
    std::vector<std::string>, std::vector<std::string>>>;

} // namespace fluxd
