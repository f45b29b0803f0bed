#include "adapters/kube/workloads.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "adapters/api/ids.hpp"
#include "adapters/image/ref.hpp"
#include "adapters/manifests/workload.hpp"

namespace fluxd::kube {

namespace json = boost::json;

namespace {

const json::object empty_object;
const json::array empty_array;

const json::object& obj(const json::value* v) {
  return v && v->is_object() ? v->get_object() : empty_object;
}

const json::object& obj(const json::object& o, std::string_view key) {
  return obj(o.if_contains(key));
}

const json::array& arr(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_array() ? v->get_array() : empty_array;
}

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

/// Integers as Go decodes them into int32/int64 fields; absent is 0.
std::int64_t num(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v)
    return 0;
  if (v->is_int64())
    return v->get_int64();
  if (v->is_uint64())
    return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double())
    return static_cast<std::int64_t>(v->get_double());
  return 0;
}

std::int32_t num32(const json::object& o, std::string_view key) {
  return static_cast<std::int32_t>(num(o, key));
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::map<std::string, std::string> string_map(const json::object& o) {
  std::map<std::string, std::string> out;
  for (const auto& kv : o)
    if (kv.value().is_string())
      out[std::string(kv.key())] = std::string(kv.value().get_string());
  return out;
}

/// `ready` once everything is updated and available (§6.2), `error` with
/// rollout messages; only after the controller observed the generation.
void rollout_status(workload_view& w, bool observed) {
  w.status = "started";
  if (!observed)
    return;
  w.status = "updating";
  if (w.updated == w.desired && w.available == w.desired && w.outdated == 0)
    w.status = "ready";
  if (!w.messages.empty())
    w.status = "error";
}

bool observed(const json::object& meta, const json::object& status) {
  return num(status, "observedGeneration") >= num(meta, "generation");
}

void deployment(const json::object& o, workload_view& w) {
  const auto& spec = obj(o, "spec");
  const auto& st = obj(o, "status");
  // The API server defaults replicas to 1; Flux v1 dereferenced it.
  w.desired = spec.contains("replicas") ? num32(spec, "replicas") : 1;
  w.updated = num32(st, "updatedReplicas");
  w.ready = num32(st, "readyReplicas");
  w.available = num32(st, "availableReplicas");
  w.outdated = num32(st, "replicas") - w.updated;
  for (const auto& c : arr(st, "conditions")) {
    const auto& cond = obj(&c);
    auto type = str(cond, "type");
    auto status = str(cond, "status");
    if ((type == "Progressing" && status == "False")
        || (type == "ReplicaFailure" && status == "True"))
      w.messages.push_back(str(cond, "message"));
  }
  rollout_status(w, observed(obj(o, "metadata"), st));
}

void daemonset(const json::object& o, workload_view& w) {
  const auto& st = obj(o, "status");
  w.desired = num32(st, "desiredNumberScheduled");
  w.updated = num32(st, "updatedNumberScheduled");
  w.ready = num32(st, "numberReady");
  w.available = num32(st, "numberAvailable");
  w.outdated = num32(st, "currentNumberScheduled") - w.updated;
  rollout_status(w, observed(obj(o, "metadata"), st));
}

void statefulset(const json::object& o, workload_view& w) {
  const auto& spec = obj(o, "spec");
  const auto& st = obj(o, "status");
  w.ready = num32(st, "readyReplicas");
  w.available = w.ready; // StatefulSets have no "available"
  std::int32_t spec_desired = num32(spec, "replicas");
  w.desired = spec_desired;
  const auto& strategy = obj(spec, "updateStrategy");
  const auto& rolling = obj(strategy, "rollingUpdate");
  if (str(strategy, "type") == "RollingUpdate" && rolling.contains("partition"))
    w.desired =
        std::max<std::int32_t>(0, w.desired - num32(rolling, "partition"));
  if (str(st, "currentRevision") != str(st, "updateRevision"))
    w.updated = num32(st, "updatedReplicas"); // a rollout in progress
  else
    w.updated = num32(st, "currentReplicas");
  w.outdated = w.desired - w.updated;
  w.status = "started";
  if (observed(obj(o, "metadata"), st)) {
    // With a partition, Ready counts old pods too: all must be ready.
    w.status = "updating";
    if (w.updated == w.desired && w.ready == spec_desired && w.outdated == 0)
      w.status = "ready";
  }
}

void pod_spec(const json::object& spec, workload_view& w) {
  w.service_account = str(spec, "serviceAccountName");
  if (w.service_account.empty())
    w.service_account = str(spec, "serviceAccount");
  if (w.service_account.empty())
    w.service_account = "default";
  for (const auto& s : arr(spec, "imagePullSecrets"))
    if (auto name = str(obj(&s), "name"); !name.empty())
      w.pull_secrets.push_back(name);
  for (const char* field : {"containers", "initContainers"})
    for (const auto& c : arr(spec, field)) {
      const auto& co = obj(&c);
      auto image = str(co, "image");
      w.images.push_back(image);
      if (!w.excuse.empty())
        continue;
      try {
        image::parse_ref(image);
        w.containers.push_back({str(co, "name"), image});
      } catch (const image::ref_error& e) {
        // Flux v1: one bad image and the workload has no containers.
        w.containers.clear();
        w.excuse = e.what();
      }
    }
}

/// §6.4 through adapters/manifests, which reads HelmReleases in git: it
/// gets the object's annotations and values as a YAML document.
void helm_release(const json::object& o, workload_view& w) {
  w.status = str(obj(o, "status"), "releaseStatus");
  json::object doc;
  doc["kind"] = "HelmRelease";
  json::object meta;
  meta["annotations"] = obj(obj(o, "metadata"), "annotations");
  doc["metadata"] = std::move(meta);
  json::object spec;
  spec["values"] = obj(obj(o, "spec"), "values");
  doc["spec"] = std::move(spec);
  YAML::Node node;
  try {
    node = YAML::Load(json::serialize(doc));
  } catch (const YAML::Exception& e) {
    w.excuse = std::string("HelmRelease values: ") + e.what();
    return;
  }
  auto found = manifests::containers_of(node);
  w.excuse = found.excuse;
  for (const auto& c : found.containers) {
    w.containers.push_back({c.name, c.image.to_string()});
    w.images.push_back(c.image.to_string());
  }
}

} // namespace

const std::vector<workload_kind>& workload_kinds() {
  static const std::vector<workload_kind> kinds = {
      {"deployment", "apps/v1", "", "Deployment"},
      {"daemonset", "apps/v1", "", "DaemonSet"},
      {"statefulset", "apps/v1", "", "StatefulSet"},
      {"cronjob", "batch/v1", "batch/v1beta1", "CronJob"},
      {"helmrelease", "helm.fluxcd.io/v1", "", "HelmRelease"},
  };
  return kinds;
}

bool is_addon(const json::value& object) {
  const auto& meta = obj(obj(&object), "metadata");
  if (str(meta, "namespace") != "kube-system")
    return false;
  const auto& labels = obj(meta, "labels");
  auto mode = str(labels, "addonmanager.kubernetes.io/mode");
  return str(labels, "kubernetes.io/cluster-service") == "true"
         || mode == "EnsureExists" || mode == "Reconcile";
}

std::optional<workload_view> workload_of(const json::value& object) {
  const auto& o = obj(&object);
  auto kind = lower(str(o, "kind"));
  auto known = std::find_if(workload_kinds().begin(), workload_kinds().end(),
                            [&](const auto& k) { return k.id_kind == kind; });
  if (known == workload_kinds().end())
    return std::nullopt;
  const auto& meta = obj(o, "metadata");
  workload_view w;
  w.ns = str(meta, "namespace");
  w.name = str(meta, "name");
  w.id = w.ns + ":" + kind + "/" + w.name;
  w.labels = string_map(obj(meta, "labels"));
  const auto& annotations = obj(meta, "annotations");
  for (const char* key :
       {"helm.fluxcd.io/antecedent", "flux.weave.works/antecedent"}) {
    auto ante = str(annotations, key);
    if (ante.empty())
      continue;
    try {
      w.antecedent = api::parse_id(ante);
      break;
    } catch (const api::id_error&) {
      // Flux v1 drops an antecedent it cannot parse.
    }
  }
  const auto& spec = obj(o, "spec");
  if (kind == "deployment") {
    deployment(o, w);
    pod_spec(obj(obj(spec, "template"), "spec"), w);
  } else if (kind == "daemonset") {
    daemonset(o, w);
    pod_spec(obj(obj(spec, "template"), "spec"), w);
  } else if (kind == "statefulset") {
    statefulset(o, w);
    pod_spec(obj(obj(spec, "template"), "spec"), w);
  } else if (kind == "cronjob") {
    w.status = "ready";
    const auto& job = obj(obj(spec, "jobTemplate"), "spec");
    pod_spec(obj(obj(job, "template"), "spec"), w);
  } else {
    helm_release(o, w);
  }
  return w;
}

} // namespace fluxd::kube
