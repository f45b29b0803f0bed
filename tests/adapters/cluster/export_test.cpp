// Export (§3.4.8), the namespace scope and pull secrets (§6.3) against the
// real kube-emulator; the YAML writer on its own.
#include "adapters/kube/export.hpp"
#include "adapters/kube/pull_secrets.hpp"
#include "adapters/registry/credentials.hpp"
#include "tests/support/kube_emulator.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <set>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

using namespace fluxd::kube;
using fluxd::test::kube_emulator;
using fluxd::test::temp_dir;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

struct cluster_env {
  cluster_env()
      : dir("cluster-adapter"), emulator(dir.file("kubeconfig"), {}),
        c(load_kubeconfig({emulator.kubeconfig()}, {})) {}
  void apply(const std::string& json_text) {
    c.apply(json::parse(json_text), {});
  }
  void ns(const std::string& name) {
    apply(R"({"apiVersion": "v1", "kind": "Namespace", "metadata":
      {"name": ")"
          + name + R"("}})");
  }
  void deployment(const std::string& ns, const std::string& name,
                  const std::string& labels = "{}") {
    apply(R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata":
      {"name": ")"
          + name + R"(", "namespace": ")" + ns + R"(", "labels": )" + labels
          + R"(}, "spec": {"replicas": 1, "selector": {"matchLabels":
      {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}},
      "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}})");
  }
  temp_dir dir;
  kube_emulator emulator;
  client c;
};

std::vector<YAML::Node> docs_of(const std::string& yaml) {
  return YAML::LoadAll(yaml);
}

std::string id_of(const YAML::Node& d) {
  auto ns = d["metadata"]["namespace"] ? d["metadata"]["namespace"].Scalar()
                                       : std::string();
  return ns + ":" + d["kind"].Scalar() + "/" + d["metadata"]["name"].Scalar();
}

std::string
docker_secret(const std::string& ns, const std::string& name,
              const std::string& host, const std::string& user,
              const std::string& type = "kubernetes.io/dockerconfigjson") {
  auto config = R"({"auths": {")" + host + R"(": {"auth": ")"
                + fluxd::registry::base64_encode(user + ":pw-" + user)
                + R"("}}})";
  auto key =
      type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
  if (type == "kubernetes.io/dockercfg")
    config = R"({")" + host + R"(": {"auth": ")"
             + fluxd::registry::base64_encode(user + ":pw-" + user) + R"("}})";
  return R"({"apiVersion": "v1", "kind": "Secret", "type": ")" + type
         + R"(", "metadata": {"name": ")" + name + R"(", "namespace": ")" + ns
         + R"("}, "data": {")" + key + R"(": ")"
         + fluxd::registry::base64_encode(config) + R"("}})";
}

} // namespace

TEST_CASE("yaml stream: sorted keys, block style, quoting, separators") {
  std::vector<json::value> docs = {
      json::parse(R"({"kind": "A", "b": {"z": 1, "a": [1, "two", {"x": null,
      "w": true}], "e": {}, "l": []}, "s": "true", "t": "with: colon",
      "u": "line\nbreak", "v": "", "n": 1.5, "m": 2.0, "p": "plain text"})"),
      json::parse(R"({"k": [[1, 2], "x"]})")};
  auto text = to_yaml_stream(docs);
  CHECK(text
        == "b:\n"
           "  a:\n"
           "  - 1\n"
           "  - two\n"
           "  - w: true\n"
           "    x: null\n"
           "  e: {}\n"
           "  l: []\n"
           "  z: 1\n"
           "kind: A\n"
           "m: 2.0\n"
           "\"n\": 1.5\n" // YAML 1.1 reads a plain n as false
           "p: plain text\n"
           "s: \"true\"\n"
           "t: \"with: colon\"\n"
           "u: \"line\\nbreak\"\n"
           "v: \"\"\n"
           "---\n"
           "k:\n"
           "- - 1\n"
           "  - 2\n"
           "- x\n");
  auto back = YAML::LoadAll(text);
  REQUIRE(back.size() == 2);
  CHECK(back[0]["s"].Scalar() == "true");
  CHECK(back[0]["u"].Scalar() == "line\nbreak");
  CHECK(back[0]["b"]["a"][2]["w"].as<bool>());
}

TEST_CASE("export: namespaces then their workloads, add-ons left out") {
  cluster_env env;
  env.ns("team-a");
  env.ns("team-b");
  env.ns("kube-system");
  env.deployment("team-a", "web");
  env.deployment("team-b", "api");
  env.deployment("kube-system", "dns",
                 R"({"kubernetes.io/cluster-service": "true"})");
  env.deployment("kube-system", "metrics");
  env.apply(R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata":
    {"name": "cfg", "namespace": "team-a"}, "data": {"k": "v"}})");
  env.apply(R"({"apiVersion": "batch/v1", "kind": "CronJob", "metadata":
    {"name": "tick", "namespace": "team-a"}, "spec": {"schedule": "* * * * *",
    "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never",
    "containers": [{"name": "t", "image": "busybox"}]}}}}}})");

  SECTION("allowed namespaces only, in their order") {
    auto docs = docs_of(export_cluster(env.c, {"team-b", "missing", "team-a"}));
    std::vector<std::string> ids;
    for (auto& d : docs)
      ids.push_back(id_of(d));
    CHECK(ids
          == std::vector<std::string>{
              ":Namespace/team-b", "team-b:Deployment/api", ":Namespace/team-a",
              "team-a:Deployment/web", "team-a:CronJob/tick"});
    CHECK(docs[0]["apiVersion"].Scalar() == "v1");
    CHECK(docs[1]["apiVersion"].Scalar() == "apps/v1");
    CHECK(docs[1]["spec"]["template"]["spec"]["containers"][0]["image"].Scalar()
          == "nginx:1");
    CHECK(docs[1]["status"]); // as the server stores it
    CHECK(docs[4]["apiVersion"].Scalar() == "batch/v1");
  }
  SECTION("every namespace without an allow list") {
    auto docs = docs_of(export_cluster(env.c, {}));
    std::set<std::string> ids;
    for (auto& d : docs)
      ids.insert(id_of(d));
    CHECK(ids.count("kube-system:Deployment/metrics") == 1);
    CHECK(ids.count("kube-system:Deployment/dns") == 0);
    CHECK(ids.count(":Namespace/default") == 1);
    CHECK(ids.count("team-a:ConfigMap/cfg") == 0);
  }
}

TEST_CASE("export: a server that is away throws a transport error") {
  cluster_env env;
  env.emulator.stop();
  CHECK_THROWS_AS(export_cluster(env.c, {}, 2s), kube_error);
}

TEST_CASE("pull secrets: service account's first, then the pod spec's") {
  cluster_env env;
  env.ns("apps");
  env.apply(docker_secret("apps", "sa-cred", "https://index.docker.io/v1/",
                          "sa-user"));
  env.apply(docker_secret("apps", "pod-cred", "docker.io", "pod-user"));
  env.apply(
      docker_secret("apps", "quay", "quay.io", "q", "kubernetes.io/dockercfg"));
  env.apply(R"({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
    "metadata": {"name": "opaque", "namespace": "apps"},
    "data": {"x": "eA=="}})");
  env.apply(R"({"apiVersion": "v1", "kind": "ServiceAccount", "metadata":
    {"name": "builder", "namespace": "apps"}, "imagePullSecrets":
    [{"name": "sa-cred"}, {"name": "quay"}]})");

  SECTION("later entries for a host win; every Docker Hub spelling matches") {
    auto got = read_pull_credentials(
        env.c, {{"apps", "builder", {"pod-cred", "opaque", "gone"}}});
    for (auto host : {"index.docker.io", "docker.io", "registry-1.docker.io"}) {
      auto creds = got.credentials.find(host);
      REQUIRE(creds);
      CHECK(creds->username == "pod-user");
      CHECK(creds->password == "pw-pod-user");
    }
    auto quay = got.credentials.find("quay.io");
    REQUIRE(quay);
    CHECK(quay->username == "q");
    CHECK(got.problems.size() == 2); // opaque's type, gone's absence
    std::set<std::string> consulted(got.consulted.begin(), got.consulted.end());
    CHECK(consulted
          == std::set<std::string>{"apps/sa-cred", "apps/quay", "apps/pod-cred",
                                   "apps/opaque", "apps/gone"});
    for (auto& p : got.problems)
      CHECK(p.find("pw-") == std::string::npos);
  }
  SECTION("only the service account's") {
    auto got = read_pull_credentials(env.c, {{"apps", "builder", {}}});
    auto hub = got.credentials.find("docker.io");
    REQUIRE(hub);
    CHECK(hub->username == "sa-user");
    CHECK(got.problems.empty());
  }
  SECTION("a missing service account yields the pod spec's alone") {
    auto got = read_pull_credentials(env.c, {{"apps", "nobody", {"quay"}}});
    CHECK(got.credentials.size() == 1);
    CHECK(got.problems.size() == 1);
  }
}
