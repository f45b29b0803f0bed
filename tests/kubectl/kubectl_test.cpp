/// The real kubectl (v1.32) against kube-emulator: the emulator is faithful
/// enough when kubectl does against it what it does against a cluster.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include <boost/json.hpp>

#include "tests/kubectl/kubectl_fixture.hpp"

using namespace fluxd::test;
namespace json = boost::json;

namespace {

const char* mixed_manifests = R"(apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.example/web:1.0
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: demo}
data: {a: "1"}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
)";

const char* crd_manifest = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: helmreleases.helm.fluxcd.io
spec:
  group: helm.fluxcd.io
  names: {kind: HelmRelease, plural: helmreleases, singular: helmrelease,
          shortNames: [hr]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object,
                        x-kubernetes-preserve-unknown-fields: true}
)";

const char* hr_manifest = R"(apiVersion: helm.fluxcd.io/v1
kind: HelmRelease
metadata: {name: podinfo, namespace: default}
spec:
  chart: {repository: "https://charts.example", name: podinfo,
          version: 1.0.0}
)";

std::string deployment(const std::string& name, const std::string& image,
                       int replicas) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name
         + "\n  namespace: default\nspec:\n  replicas: "
         + std::to_string(replicas)
         + "\n  progressDeadlineSeconds: 2\n"
           "  selector:\n    matchLabels: {app: "
         + name
         + "}\n"
           "  template:\n    metadata:\n      labels: {app: "
         + name
         + "}\n"
           "    spec:\n      containers:\n      - name: main\n        image: "
         + image + "\n";
}

json::object get_json(kubectl_env& k, std::vector<std::string> args) {
  args.insert(args.begin(), "get");
  args.push_back("-o");
  args.push_back("json");
  auto r = k.kubectl(args);
  REQUIRE(r.status == 0);
  return json::parse(r.out).as_object();
}

} // namespace

TEST_CASE("kubectl api-resources lists the built-in kinds") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env k;
  auto r = k.kubectl({"api-resources"});
  REQUIRE(r.status == 0);
  for (const char* kind :
       {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "CronJob",
        "Job", "Ingress", "ClusterRoleBinding", "CustomResourceDefinition",
        "Lease", "ServiceAccount", "Secret"})
    CHECK(r.out.find(kind) != std::string::npos);
  CHECK(r.out.find("deploy") != std::string::npos);
}

TEST_CASE("kubectl apply --server-side applies a directory of mixed kinds") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env k;
  write_file(k.dir.file("manifests/all.yaml"), mixed_manifests);
  auto r = k.kubectl({"apply", "--server-side", "-f", k.dir.file("manifests")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("deployment.apps/web serverside-applied")
        != std::string::npos);
  CHECK(r.out.find("clusterrole.rbac.authorization.k8s.io/reader")
        != std::string::npos);

  auto list = get_json(k, {"deploy,cm,svc", "-A"});
  std::set<std::string> names;
  for (auto& item : list.at("items").as_array()) {
    auto& o = item.as_object();
    names.insert(std::string(o.at("kind").as_string()) + "/"
                 + std::string(o.at("metadata").at("name").as_string()));
    auto& md = o.at("metadata").as_object();
    CHECK(md.contains("uid"));
    CHECK(md.contains("resourceVersion"));
    CHECK(md.contains("creationTimestamp"));
  }
  CHECK(names.count("Deployment/web"));
  CHECK(names.count("ConfigMap/cfg"));
  CHECK(names.count("Service/web"));

  // "all" is a discovery category: workloads, services, pods.
  std::set<std::string> kinds;
  auto all = get_json(k, {"all", "-A"});
  for (auto& item : all.at("items").as_array())
    kinds.insert(std::string(item.at("kind").as_string()));
  CHECK(kinds.count("Deployment"));
  CHECK(kinds.count("Service"));
  CHECK_FALSE(kinds.count("ConfigMap"));

  // Applying the same again changes nothing.
  auto before = get_json(k, {"deploy", "web", "-n", "demo"});
  REQUIRE(k.kubectl({"apply", "--server-side", "-f", k.dir.file("manifests")})
              .status
          == 0);
  auto after = get_json(k, {"deploy", "web", "-n", "demo"});
  CHECK(after.at("metadata").at("generation")
        == before.at("metadata").at("generation"));
}

TEST_CASE("kubectl applies a CRD and then its custom resource") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env k;
  write_file(k.dir.file("crd.yaml"), crd_manifest);
  write_file(k.dir.file("hr.yaml"), hr_manifest);
  // Before the CRD the kind is unknown to kubectl.
  CHECK(
      k.kubectl({"apply", "--server-side", "-f", k.dir.file("hr.yaml")}).status
      != 0);
  auto r = k.kubectl({"apply", "--server-side", "-f", k.dir.file("crd.yaml")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  r = k.kubectl({"apply", "--server-side", "-f", k.dir.file("hr.yaml")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("helmrelease.helm.fluxcd.io/podinfo serverside-applied")
        != std::string::npos);
  auto hr = get_json(k, {"hr", "podinfo"});
  CHECK(hr.at("spec").at("chart").at("version") == "1.0.0");
  CHECK(hr.at("metadata").at("generation") == 1);
}

TEST_CASE("kubectl annotate, label and delete") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env k;
  write_file(k.dir.file("m.yaml"), mixed_manifests);
  REQUIRE(
      k.kubectl({"apply", "--server-side", "-f", k.dir.file("m.yaml")}).status
      == 0);
  auto before = get_json(k, {"deploy", "web", "-n", "demo"});
  REQUIRE(
      k.kubectl({"annotate", "-n", "demo", "deploy", "web", "example.com/x=y"})
          .status
      == 0);
  REQUIRE(k.kubectl({"label", "-n", "demo", "cm", "cfg", "tier=backend"}).status
          == 0);
  auto d = get_json(k, {"deploy", "web", "-n", "demo"});
  CHECK(d.at("metadata").at("annotations").at("example.com/x") == "y");
  // Metadata changes do not bump the generation.
  CHECK(d.at("metadata").at("generation")
        == before.at("metadata").at("generation"));
  CHECK(d.at("metadata").at("resourceVersion")
        != before.at("metadata").at("resourceVersion"));
  auto cm = get_json(k, {"cm", "-n", "demo", "-l", "tier=backend"});
  REQUIRE(cm.at("items").as_array().size() == 1);

  auto r = k.kubectl({"delete", "-f", k.dir.file("m.yaml")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("deployment.apps \"web\" deleted") != std::string::npos);
  r = k.kubectl({"get", "deploy", "web", "-n", "demo"});
  CHECK(r.status != 0);
  CHECK(r.err.find("NotFound") != std::string::npos);
}

TEST_CASE("kubectl rollout status follows the simulated rollout") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env k;
  write_file(k.dir.file("good.yaml"), deployment("good", "web:1.0", 3));
  REQUIRE(k.kubectl({"apply", "--server-side", "-f", k.dir.file("good.yaml")})
              .status
          == 0);
  auto r = k.kubectl({"rollout", "status", "deploy/good", "--timeout=20s"});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("successfully rolled out") != std::string::npos);
  auto d = get_json(k, {"deploy", "good"});
  CHECK(d.at("status").at("readyReplicas") == 3);
  // The server-side Table has the API server's columns.
  r = k.kubectl({"get", "deploy", "good"});
  CHECK(r.out.find("READY") != std::string::npos);
  CHECK(r.out.find("3/3") != std::string::npos);
  // The simulated controller keeps a ReplicaSet and its pods.
  auto pods = get_json(k, {"pods", "-l", "app=good"});
  REQUIRE(pods.at("items").as_array().size() == 3);
  CHECK(pods.at("items").at(0).at("status").at("phase") == "Running");
  CHECK(d.at("status").at("observedGeneration") == 1);

  // A new image: the generation moves on and the rollout completes again.
  write_file(k.dir.file("good.yaml"), deployment("good", "web:1.1", 3));
  REQUIRE(k.kubectl({"apply", "--server-side", "-f", k.dir.file("good.yaml")})
              .status
          == 0);
  r = k.kubectl({"rollout", "status", "deploy/good", "--timeout=20s"});
  REQUIRE(r.status == 0);
  CHECK(get_json(k, {"deploy", "good"}).at("status").at("observedGeneration")
        == 2);

  // crashloop images never become ready; the progress deadline (2 s) fails
  // the rollout.
  write_file(k.dir.file("bad.yaml"), deployment("bad", "web:crashloop", 1));
  REQUIRE(
      k.kubectl({"apply", "--server-side", "-f", k.dir.file("bad.yaml")}).status
      == 0);
  r = k.kubectl({"rollout", "status", "deploy/bad", "--timeout=20s"});
  CHECK(r.status != 0);
  CHECK(r.err.find("exceeded its progress deadline") != std::string::npos);
  r = k.kubectl({"get", "pods", "-l", "app=bad"});
  CHECK(r.out.find("CrashLoopBackOff") != std::string::npos);

  // Deleting the Deployment takes its ReplicaSet and pods along.
  REQUIRE(k.kubectl({"delete", "deploy", "good"}).status == 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = get_json(k, {"pods,rs", "-l", "app=good"})
               .at("items")
               .as_array()
               .empty();
    if (!gone)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(gone);
}

TEST_CASE("kubectl rollout status for a StatefulSet and a DaemonSet") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env k;
  std::string pod = "  selector:\n    matchLabels: {app: x}\n"
                    "  template:\n    metadata:\n      labels: {app: x}\n"
                    "    spec:\n      containers:\n      - {name: c, image: "
                    "x:1}\n";
  write_file(
      k.dir.file("w.yaml"),
      "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, "
      "namespace: default}\nspec:\n  serviceName: db\n  replicas: 2\n"
          + pod
          + "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: "
            "agent, namespace: default}\nspec:\n"
          + pod);
  REQUIRE(
      k.kubectl({"apply", "--server-side", "-f", k.dir.file("w.yaml")}).status
      == 0);
  auto r = k.kubectl({"rollout", "status", "sts/db", "--timeout=20s"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  r = k.kubectl({"rollout", "status", "ds/agent", "--timeout=20s"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
}

TEST_CASE("kubectl get --watch sees a change") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env k;
  write_file(k.dir.file("cm.yaml"),
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\n"
             "data: {a: '1'}\n");
  REQUIRE(
      k.kubectl({"apply", "--server-side", "-f", k.dir.file("cm.yaml")}).status
      == 0);
  child_process watch{k.kubectl_argv({"get", "cm", "watched", "--watch", "-o",
                                      "jsonpath={.data.a}{\"\\n\"}"}),
                      k.process_options()};
  REQUIRE(watch.wait_for_output("1", std::chrono::seconds(20)));
  REQUIRE(k.kubectl({"patch", "cm", "watched", "--type=merge", "-p",
                     "{\"data\":{\"a\":\"changed\"}}"})
              .status
          == 0);
  CHECK(watch.wait_for_output("changed", std::chrono::seconds(20)));
}

TEST_CASE("kubectl reports a server-side apply conflict") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env k;
  write_file(k.dir.file("d.yaml"), deployment("web", "web:1.0", 2));
  REQUIRE(
      k.kubectl({"apply", "--server-side", "-f", k.dir.file("d.yaml")}).status
      == 0);
  write_file(k.dir.file("d2.yaml"), deployment("web", "web:1.0", 5));
  auto r = k.kubectl({"apply", "--server-side", "--field-manager=other", "-f",
                      k.dir.file("d2.yaml")});
  CHECK(r.status != 0);
  CHECK(r.err.find("conflict with \"kubectl\"") != std::string::npos);
  CHECK(r.err.find(".spec.replicas") != std::string::npos);
  CHECK(get_json(k, {"deploy", "web"}).at("spec").at("replicas") == 2);

  r = k.kubectl({"apply", "--server-side", "--field-manager=other",
                 "--force-conflicts", "-f", k.dir.file("d2.yaml")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto d = get_json(k, {"deploy", "web", "--show-managed-fields"});
  CHECK(d.at("spec").at("replicas") == 5);
  // The first manager lost the field; the second one owns it.
  for (auto& e : d.at("metadata").at("managedFields").as_array()) {
    auto fields = json::serialize(e.at("fieldsV1"));
    bool has_replicas = fields.find("f:replicas") != std::string::npos;
    CHECK(has_replicas == (e.at("manager") == "other"));
  }
}

TEST_CASE("kubectl --dry-run=server persists nothing") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env k;
  write_file(k.dir.file("d.yaml"), deployment("dry", "web:1.0", 1));
  auto r = k.kubectl({"apply", "--server-side", "--dry-run=server", "-f",
                      k.dir.file("d.yaml")});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("(server dry run)") != std::string::npos);
  CHECK(k.kubectl({"get", "deploy", "dry"}).status != 0);
}

TEST_CASE("kubectl with client-certificate authentication") {
  SKIP_WITHOUT_KUBECTL();
  kubectl_env k{"cert"};
  auto r = k.kubectl({"get", "ns", "default"});
  INFO(r.err);
  CHECK(r.status == 0);
  // The token user is not accepted when the emulator wants certificates.
  r = k.kubectl({"--context=token", "get", "ns", "default"});
  CHECK(r.status != 0);
  CHECK(r.err.find("Unauthorized") != std::string::npos);
}
