#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

/// Workloads as the cluster runs them (Flux v1 §6.1, §6.2, §6.4): what
/// list-workloads shows, computed from a live object's JSON.
namespace fluxd::kube {

/// One of the five kinds Flux v1 calls workloads, and where it is served.
struct workload_kind {
  std::string id_kind;     ///< deployment, daemonset, …: the ID's kind
  std::string api_version; ///< preferred version
  std::string fallback_api_version; ///< tried when the first is not served
  std::string kind;
};

/// Deployment, DaemonSet, StatefulSet, CronJob, HelmRelease (in that order).
const std::vector<workload_kind>& workload_kinds();

struct workload_container {
  std::string name;
  std::string image; ///< as the object spells it
};

/// A live workload, plus what image pull credentials need (§6.3).
struct workload_view {
  std::string id; ///< namespace:kind/name, kind lower case
  std::string ns;
  std::string name;
  std::vector<workload_container> containers; ///< then initContainers
  /// Why `containers` is empty although the object has some.
  std::string excuse;
  std::string status; ///< ready|updating|started|error, HelmRelease's own
  std::int32_t desired = 0;
  std::int32_t updated = 0;
  std::int32_t ready = 0;
  std::int32_t available = 0;
  std::int32_t outdated = 0;
  std::vector<std::string> messages;
  std::string antecedent;
  std::map<std::string, std::string> labels;
  /// The pod spec's service account ("default" when unset; "" for a
  /// HelmRelease, which has no pod spec) and own imagePullSecrets.
  std::string service_account;
  std::vector<std::string> pull_secrets;
  /// Every image string of the pod spec, parseable or not.
  std::vector<std::string> images;
};

/// Kubernetes add-ons (§6.1): in kube-system and labelled
/// `kubernetes.io/cluster-service=true` or
/// `addonmanager.kubernetes.io/mode` EnsureExists/Reconcile. Hidden from
/// listings and export.
bool is_addon(const boost::json::value& object);

/// The workload of a live object of one of the five kinds; nullopt for
/// other kinds. Missing fields count as zero/empty, as in Go's structs.
std::optional<workload_view> workload_of(const boost::json::value& object);

} // namespace fluxd::kube
