// Workloads from hand-written live objects: one case per rule of §6.1,
// §6.2 and §6.4.
#include "adapters/kube/workloads.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

using namespace fluxd::kube;
namespace json = boost::json;

namespace {

json::value parse(const char* text) {
  return json::parse(text);
}

workload_view must(const json::value& v) {
  auto w = workload_of(v);
  REQUIRE(w);
  return *w;
}

const char* deployment_text = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "demo", "generation": 3,
               "labels": {"app": "web"},
               "annotations": {"helm.fluxcd.io/antecedent":
                                 "demo:helmrelease/web"}},
  "spec": {"replicas": 3, "template": {"spec": {
    "serviceAccountName": "runner",
    "imagePullSecrets": [{"name": "regcred"}],
    "containers": [{"name": "main", "image": "quay.io/org/web:1.0"},
                   {"name": "side", "image": "nginx"}],
    "initContainers": [{"name": "init", "image": "busybox:1.36"}]}}},
  "status": {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 3,
             "readyReplicas": 3, "availableReplicas": 3}
})";

} // namespace

TEST_CASE("deployment: containers then init containers, id, labels") {
  auto w = must(parse(deployment_text));
  CHECK(w.id == "demo:deployment/web");
  REQUIRE(w.containers.size() == 3);
  CHECK(w.containers[0].name == "main");
  CHECK(w.containers[0].image == "quay.io/org/web:1.0");
  CHECK(w.containers[1].image == "nginx");
  CHECK(w.containers[2].name == "init");
  CHECK(w.excuse.empty());
  CHECK(w.labels == std::map<std::string, std::string>{{"app", "web"}});
  CHECK(w.antecedent == "demo:helmrelease/web");
  CHECK(w.service_account == "runner");
  CHECK(w.pull_secrets == std::vector<std::string>{"regcred"});
  CHECK(w.images.size() == 3);
}

TEST_CASE("deployment: ready when updated, available and none outdated") {
  auto w = must(parse(deployment_text));
  CHECK(w.status == "ready");
  CHECK(w.desired == 3);
  CHECK(w.updated == 3);
  CHECK(w.ready == 3);
  CHECK(w.available == 3);
  CHECK(w.outdated == 0);
  CHECK(w.messages.empty());
}

TEST_CASE("deployment: started until the generation is observed") {
  auto v = parse(deployment_text);
  v.as_object()["status"].as_object()["observedGeneration"] = 2;
  CHECK(must(v).status == "started");
}

TEST_CASE("deployment: updating while replicas are outdated") {
  auto v = parse(deployment_text);
  auto& st = v.as_object()["status"].as_object();
  st["replicas"] = 4;
  st["updatedReplicas"] = 2;
  auto w = must(v);
  CHECK(w.status == "updating");
  CHECK(w.outdated == 2);
  CHECK(w.updated == 2);
}

TEST_CASE("deployment: failed conditions give messages and error") {
  auto v = parse(deployment_text);
  v.as_object()["status"].as_object()["conditions"] = json::parse(R"([
    {"type": "Progressing", "status": "False",
     "message": "ReplicaSet \"web-1\" has timed out progressing."},
    {"type": "ReplicaFailure", "status": "True", "message": "quota"},
    {"type": "Available", "status": "False", "message": "not counted"},
    {"type": "Progressing", "status": "True", "message": "not either"}])");
  auto w = must(v);
  CHECK(w.status == "error");
  CHECK(w.messages
        == std::vector<std::string>{
            "ReplicaSet \"web-1\" has timed out progressing.", "quota"});
}

TEST_CASE("deployment: messages before the generation is observed") {
  auto v = parse(deployment_text);
  auto& st = v.as_object()["status"].as_object();
  st["observedGeneration"] = 1;
  st["conditions"] = json::parse(
      R"([{"type": "ReplicaFailure", "status": "True", "message": "m"}])");
  auto w = must(v);
  CHECK(w.status == "started");
  CHECK(w.messages.size() == 1);
}

TEST_CASE("an image that does not parse leaves no containers, an excuse") {
  auto v = parse(deployment_text);
  auto& spec = v.as_object()["spec"]
                   .as_object()["template"]
                   .as_object()["spec"]
                   .as_object();
  spec["initContainers"].as_array()[0].as_object()["image"] = "Bad:Image:x";
  auto w = must(v);
  CHECK(w.containers.empty());
  CHECK_FALSE(w.excuse.empty());
  CHECK(w.excuse.find("Bad:Image:x") != std::string::npos);
  CHECK(w.images.size() == 3); // credentials still see every image
}

TEST_CASE("an antecedent that does not parse is dropped") {
  auto v = parse(deployment_text);
  v.as_object()["metadata"].as_object()["annotations"] =
      json::object{{"helm.fluxcd.io/antecedent", "not an id"}};
  CHECK(must(v).antecedent.empty());
  v.as_object()["metadata"].as_object()["annotations"] =
      json::object{{"flux.weave.works/antecedent", "ns:HelmRelease/x"}};
  CHECK(must(v).antecedent == "ns:helmrelease/x");
}

TEST_CASE("the default service account when the pod spec names none") {
  auto w = must(parse(R"({"kind": "Deployment", "metadata":
    {"name": "a", "namespace": "n"}, "spec": {"replicas": 1}})"));
  CHECK(w.service_account == "default");
  CHECK(w.containers.empty());
  CHECK(w.excuse.empty());
  CHECK(w.status == "updating"); // generation 0 observed, 0 of 1 updated
}

TEST_CASE("daemonset: numbers from the scheduling status") {
  auto v = parse(R"({
    "apiVersion": "apps/v1", "kind": "DaemonSet",
    "metadata": {"name": "agent", "namespace": "ops", "generation": 2},
    "spec": {"template": {"spec": {"containers":
      [{"name": "a", "image": "agent:2"}]}}},
    "status": {"observedGeneration": 2, "desiredNumberScheduled": 4,
               "updatedNumberScheduled": 3, "numberReady": 4,
               "numberAvailable": 3, "currentNumberScheduled": 4}})");
  auto w = must(v);
  CHECK(w.id == "ops:daemonset/agent");
  CHECK(w.desired == 4);
  CHECK(w.updated == 3);
  CHECK(w.ready == 4);
  CHECK(w.available == 3);
  CHECK(w.outdated == 1);
  CHECK(w.status == "updating");
  auto& st = v.as_object()["status"].as_object();
  st["updatedNumberScheduled"] = 4;
  st["numberAvailable"] = 4;
  CHECK(must(v).status == "ready");
  st["observedGeneration"] = 1;
  CHECK(must(v).status == "started");
}

TEST_CASE("statefulset: partition, revisions, ready counts all pods") {
  auto v = parse(R"({
    "apiVersion": "apps/v1", "kind": "StatefulSet",
    "metadata": {"name": "db", "namespace": "data", "generation": 5},
    "spec": {"replicas": 5, "updateStrategy": {"type": "RollingUpdate",
             "rollingUpdate": {"partition": 3}},
             "template": {"spec": {"containers":
               [{"name": "pg", "image": "postgres:16"}]}}},
    "status": {"observedGeneration": 5, "readyReplicas": 5,
               "currentRevision": "db-1", "updateRevision": "db-2",
               "updatedReplicas": 2, "currentReplicas": 3}})");
  auto w = must(v);
  CHECK(w.desired == 2); // 5 - partition 3
  CHECK(w.updated == 2); // updatedReplicas during a rollout
  CHECK(w.ready == 5);
  CHECK(w.available == 5);
  CHECK(w.outdated == 0);
  CHECK(w.status == "ready");

  auto& st = v.as_object()["status"].as_object();
  st["readyReplicas"] = 4; // an old pod not ready
  CHECK(must(v).status == "updating");

  st["readyReplicas"] = 5;
  st["currentRevision"] = "db-2"; // rollout done: currentReplicas counts
  CHECK(must(v).updated == 3);
  CHECK(must(v).outdated == -1);
  CHECK(must(v).status == "updating");

  auto& spec = v.as_object()["spec"].as_object();
  spec["updateStrategy"].as_object()["rollingUpdate"].as_object()["partition"] =
      9;
  CHECK(must(v).desired == 0); // never below zero

  spec.erase("updateStrategy");
  st["currentReplicas"] = 5;
  auto full = must(v);
  CHECK(full.desired == 5);
  CHECK(full.status == "ready");
  st["observedGeneration"] = 4;
  CHECK(must(v).status == "started");
}

TEST_CASE("cronjob: job template containers, always ready") {
  auto w = must(parse(R"({
    "apiVersion": "batch/v1", "kind": "CronJob",
    "metadata": {"name": "backup", "namespace": "ops"},
    "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template":
      {"spec": {"containers": [{"name": "b", "image": "backup:1"}]}}}}}})"));
  CHECK(w.id == "ops:cronjob/backup");
  CHECK(w.status == "ready");
  REQUIRE(w.containers.size() == 1);
  CHECK(w.containers[0].image == "backup:1");
  CHECK(w.desired == 0);
}

TEST_CASE("helmrelease: containers from values, status from releaseStatus") {
  auto w = must(parse(R"({
    "apiVersion": "helm.fluxcd.io/v1", "kind": "HelmRelease",
    "metadata": {"name": "podinfo", "namespace": "demo", "annotations":
      {"repository.fluxcd.io/custom": "deep.path.repo",
       "tag.fluxcd.io/custom": "deep.path.tag"}},
    "spec": {"values": {
      "image": {"repository": "stefanprodan/podinfo", "tag": "3.1.0"},
      "sidecar": {"image": "envoy", "tag": "v1.2"},
      "aaa": {"registry": "r.io", "image": "org/x:9"},
      "deep": {"path": {"repo": "deep/img", "tag": "7"}},
      "plain": "not an image"}},
    "status": {"releaseStatus": "deployed"}})"));
  CHECK(w.id == "demo:helmrelease/podinfo");
  CHECK(w.status == "deployed");
  REQUIRE(w.containers.size() == 4);
  CHECK(w.containers[0].name == "chart-image");
  CHECK(w.containers[0].image == "stefanprodan/podinfo:3.1.0");
  CHECK(w.containers[1].name == "aaa");
  CHECK(w.containers[1].image == "r.io/org/x:9");
  CHECK(w.containers[2].name == "custom");
  CHECK(w.containers[2].image == "deep/img:7");
  CHECK(w.containers[3].name == "sidecar");
  CHECK(w.containers[3].image == "envoy:v1.2");
  CHECK(w.service_account.empty());
}

TEST_CASE("helmrelease: no status yet, no values") {
  auto w = must(parse(R"({"apiVersion": "helm.fluxcd.io/v1",
    "kind": "HelmRelease", "metadata": {"name": "x", "namespace": "n"},
    "spec": {"chart": {"name": "x"}}})"));
  CHECK(w.status.empty());
  CHECK(w.containers.empty());
  CHECK(w.excuse.empty());
}

TEST_CASE("other kinds are not workloads") {
  CHECK_FALSE(workload_of(parse(R"({"apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "s", "namespace": "n"}})")));
  CHECK_FALSE(workload_of(parse(R"({"kind": "ReplicaSet"})")));
  CHECK_FALSE(workload_of(parse("[]")));
}

TEST_CASE("add-ons: kube-system with the add-on manager's labels") {
  auto addon = [](const char* ns, const char* key, const char* value) {
    json::object labels;
    if (key)
      labels[key] = value;
    json::object o{{"kind", "Deployment"},
                   {"metadata", json::object{{"name", "dns"},
                                             {"namespace", ns},
                                             {"labels", std::move(labels)}}}};
    return is_addon(json::value(std::move(o)));
  };
  CHECK(addon("kube-system", "kubernetes.io/cluster-service", "true"));
  CHECK(
      addon("kube-system", "addonmanager.kubernetes.io/mode", "EnsureExists"));
  CHECK(addon("kube-system", "addonmanager.kubernetes.io/mode", "Reconcile"));
  CHECK_FALSE(
      addon("kube-system", "addonmanager.kubernetes.io/mode", "Ignore"));
  CHECK_FALSE(addon("kube-system", "kubernetes.io/cluster-service", "false"));
  CHECK_FALSE(addon("kube-system", nullptr, nullptr));
  CHECK_FALSE(addon("default", "kubernetes.io/cluster-service", "true"));
}

TEST_CASE("the five kinds, CronJob falling back to batch/v1beta1") {
  const auto& kinds = workload_kinds();
  REQUIRE(kinds.size() == 5);
  CHECK(kinds[3].kind == "CronJob");
  CHECK(kinds[3].fallback_api_version == "batch/v1beta1");
  CHECK(kinds[4].api_version == "helm.fluxcd.io/v1");
}
