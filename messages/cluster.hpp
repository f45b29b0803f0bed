#pragma once

#include <cstdint>
#include <map>
#include <string>
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

} // namespace fluxd
