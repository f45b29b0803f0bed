// The cluster view against the real kube-emulator: workloads from watches,
// namespace scope, export, ping, and image pull secrets.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "actors/cluster_children.hpp"
#include "actors/cluster_view.hpp"
#include "adapters/kube/config.hpp"
#include "adapters/log/log.hpp"
#include "adapters/registry/credentials.hpp"
#include "messages/cluster.hpp"
#include "tests/support/kube_emulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd;
using namespace std::chrono_literals;
using fluxd::test::kube_emulator;
namespace json = boost::json;

namespace {

bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = 10s) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred())
      return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

std::string deployment(const std::string& ns, const std::string& name,
                       const std::string& image, int replicas = 2,
                       const std::string& pod_extra = "") {
  return R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata":
    {"name": ")"
         + name + R"(", "namespace": ")" + ns + R"(", "labels":
    {"app": ")"
         + name + R"("}}, "spec": {"replicas": )" + std::to_string(replicas)
         + R"(, "selector": {"matchLabels":
    {"app": ")"
         + name + R"("}}, "template": {"metadata": {"labels": {"app":
    ")" + name
         + R"("}}, "spec": {)" + pod_extra + R"("containers": [{"name":
    "main", "image": ")"
         + image + R"("}]}}}})";
}

struct options {
  std::vector<std::string> allowed;
  bool pull_secrets = false;
  bool start_emulator = true;
  std::chrono::milliseconds recheck{std::chrono::hours(1)};
};

struct env {
  explicit env(options o = {}) : dir("cluster-view"), opts(std::move(o)) {
    if (std::getenv("FLUXD_TEST_DEBUG"))
      log::configure(log::format::logfmt, log::level::debug);
    kube_emulator::options eo;
    eo.rollout_delay = "100ms";
    eo.state_dir = dir.file("emulator"); // the same CA after a restart
    emulator = std::make_unique<kube_emulator>(dir.file("kubeconfig"), eo);
    kube::config_options where;
    where.kubeconfig = emulator->kubeconfig();
    rc = kube::load_config(where);
    client = std::make_shared<kube::client>(rc);
    if (!opts.start_emulator)
      emulator->stop();
    cfg.add_error_category(caf::atom("cluster"), render_cluster_error);
    cfg.add_message_types<caf::id_block::fluxd_cluster>();
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  void start() {
    cluster_view_config vc;
    kube::client_options co;
    co.timeout = 2s;
    co.connect_timeout = 1s;
    vc.client = std::make_shared<kube::client>(rc, co);
    vc.allowed_namespaces = opts.allowed;
    if (opts.pull_secrets) {
      creds = std::make_shared<registry::swappable_credentials>();
      vc.pull_secrets = creds;
    }
    vc.credentials_debounce = 100ms;
    vc.ping_timeout = 2s;
    vc.export_timeout = 5s;
    vc.max_backoff = 500ms;
    vc.recheck_interval = opts.recheck;
    view = sys->spawn(cluster_view, vc);
  }

  ~env() {
    if (view)
      caf::anon_send_exit(view, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }

  void apply(const std::string& text) { client->apply(json::parse(text), {}); }

  void ns(const std::string& name) {
    apply(R"({"apiVersion": "v1", "kind": "Namespace", "metadata":
      {"name": ")"
          + name + R"("}})");
  }

  /// The workloads, or the error's text.
  std::optional<std::vector<live_workload>>
  workloads(const std::string& ns = "", std::string* error = nullptr) {
    caf::scoped_actor self{*sys};
    std::optional<std::vector<live_workload>> out;
    self->request(view, 5s, cluster_workloads_atom_v, ns)
        .receive([&](std::vector<live_workload>& w) { out = std::move(w); },
                 [&](caf::error& e) {
                   if (error)
                     *error = sys->render(e);
                 });
    return out;
  }

  std::optional<live_workload> workload(const std::string& id) {
    auto all = workloads();
    if (all)
      for (auto& w : *all)
        if (w.id == id)
          return w;
    return std::nullopt;
  }

  /// Waits until `id` is listed with `status`.
  live_workload until_status(const std::string& id, const std::string& status) {
    std::optional<live_workload> last;
    bool ok = eventually([&] {
      last = workload(id);
      return last && last->status == status;
    });
    INFO(id << " last status: " << (last ? last->status : "<absent>"));
    REQUIRE(ok);
    return *last;
  }

  std::optional<bool> ping() {
    caf::scoped_actor self{*sys};
    std::optional<bool> out;
    self->request(view, 10s, cluster_ping_atom_v)
        .receive([&](bool ok) { out = ok; }, [&](caf::error&) {});
    return out;
  }

  std::optional<std::string> export_yaml(std::string* error = nullptr) {
    caf::scoped_actor self{*sys};
    std::optional<std::string> out;
    self->request(view, 10s, cluster_export_atom_v)
        .receive([&](std::string& y) { out = std::move(y); },
                 [&](caf::error& e) {
                   if (error)
                     *error = sys->render(e);
                 });
    return out;
  }

  /// GET requests the emulator has served (lists and watches).
  long gets() {
    auto v = client->request({"GET", "/debug/requests"});
    return static_cast<long>(v.at("get").to_number<double>());
  }

  test::temp_dir dir;
  options opts;
  std::unique_ptr<kube_emulator> emulator;
  kube::rest_config rc;
  std::shared_ptr<kube::client> client;
  std::shared_ptr<registry::swappable_credentials> creds;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  cluster_view_full_actor view;
};

std::string pull_secret(const std::string& ns, const std::string& name,
                        const std::string& host, const std::string& user) {
  auto config = R"({"auths": {")" + host + R"(": {"auth": ")"
                + registry::base64_encode(user + ":pw") + R"("}}})";
  return R"({"apiVersion": "v1", "kind": "Secret", "type":
    "kubernetes.io/dockerconfigjson", "metadata": {"name": ")"
         + name + R"(", "namespace": ")" + ns
         + R"("}, "data": {".dockerconfigjson":
    ")" + registry::base64_encode(config)
         + R"("}})";
}

std::string user_for(const registry::credentials_provider& p,
                     const std::string& host) {
  auto c = p.find(host);
  return c ? c->username : "";
}

} // namespace

TEST_CASE("workloads of every kind, with their rollout status") {
  env e;
  e.ns("demo");
  e.apply(deployment("demo", "web", "nginx:1.25", 2));
  e.apply(R"({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata":
    {"name": "db", "namespace": "demo"}, "spec": {"replicas": 3,
    "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
    "template": {"metadata": {"labels": {"app": "db"}}, "spec":
    {"containers": [{"name": "pg", "image": "postgres:16"}],
     "initContainers": [{"name": "init", "image": "busybox:1"}]}}}})");
  e.apply(R"({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata":
    {"name": "agent", "namespace": "demo"}, "spec": {"selector":
    {"matchLabels": {"app": "agent"}}, "template": {"metadata": {"labels":
    {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image":
    "agent:2"}]}}}})");
  e.apply(R"({"apiVersion": "batch/v1", "kind": "CronJob", "metadata":
    {"name": "backup", "namespace": "demo"}, "spec": {"schedule":
    "0 * * * *", "jobTemplate": {"spec": {"template": {"spec":
    {"restartPolicy": "Never", "containers": [{"name": "b", "image":
    "backup:1"}]}}}}}})");
  e.start();

  auto web = e.until_status("demo:deployment/web", "ready");
  CHECK(web.desired == 2);
  CHECK(web.updated == 2);
  CHECK(web.available == 2);
  CHECK(web.outdated == 0);
  REQUIRE(web.containers.size() == 1);
  CHECK(web.containers[0].image == "nginx:1.25");
  CHECK(web.labels.at("app") == "web");

  auto db = e.until_status("demo:statefulset/db", "ready");
  CHECK(db.desired == 3);
  REQUIRE(db.containers.size() == 2);
  CHECK(db.containers[1].name == "init");
  e.until_status("demo:daemonset/agent", "ready");
  auto cron = e.until_status("demo:cronjob/backup", "ready");
  CHECK(cron.containers.at(0).image == "backup:1");

  auto all = e.workloads();
  REQUIRE(all);
  CHECK(all->size() == 4); // no HelmRelease CRD: that kind is skipped
}

TEST_CASE("a deployment created with kubectl, its crash loop as an error") {
  if (!test::have_program("kubectl")) {
    WARN("kubectl is not installed: skipping this test");
    return;
  }
  env e;
  e.start();
  REQUIRE(eventually([&] { return e.workloads().has_value(); }));
  auto file = e.dir.file("bad.yaml");
  std::ofstream(file)
      << "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n"
         "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\n"
         "  namespace: shop\nspec:\n  replicas: 1\n"
         "  progressDeadlineSeconds: 1\n  selector:\n    matchLabels:\n"
         "      app: cart\n  template:\n    metadata:\n      labels:\n"
         "        app: cart\n    spec:\n      containers:\n      - name: c\n"
         "        image: cart:crashloop\n";
  auto r = test::run({"kubectl", "--kubeconfig", e.emulator->kubeconfig(),
                      "apply", "-f", file});
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto cart = e.until_status("shop:deployment/cart", "error");
  CHECK_FALSE(cart.messages.empty());
  CHECK(cart.ready == 0);
}

TEST_CASE("a change arrives through the watch, without a new list") {
  env e;
  e.ns("demo");
  e.apply(deployment("demo", "web", "nginx:1.25", 1));
  e.start();
  e.until_status("demo:deployment/web", "ready");
  // Every list and watch has been opened once the count stops moving.
  long before = e.gets();
  for (int stable = 0; stable < 6;) {
    std::this_thread::sleep_for(100ms);
    auto now = e.gets();
    stable = now == before ? stable + 1 : 0;
    before = now;
  }
  e.apply(deployment("demo", "web", "nginx:1.26", 1));
  e.apply(deployment("demo", "api", "api:1", 1));
  REQUIRE(eventually([&] {
    auto w = e.workload("demo:deployment/web");
    return w && w->containers.at(0).image == "nginx:1.26"
           && e.workload("demo:deployment/api").has_value();
  }));
  e.client->remove({"apps/v1", "Deployment", "demo", "api"}, {});
  REQUIRE(eventually([&] { return !e.workload("demo:deployment/api"); }));
  CHECK(e.gets() == before);
}

TEST_CASE("only the allowed namespaces, and a namespace asked for") {
  env e({{"team-a", "team-c"}});
  e.ns("team-a");
  e.ns("team-b");
  e.apply(deployment("team-a", "a1", "a:1", 1));
  e.apply(deployment("team-a", "a2", "a:2", 1));
  e.apply(deployment("team-b", "b1", "b:1", 1));
  e.start();
  e.until_status("team-a:deployment/a2", "ready");
  auto all = e.workloads();
  REQUIRE(all);
  REQUIRE(all->size() == 2);
  CHECK(all->at(0).id == "team-a:deployment/a1"); // sorted by ID
  // A namespace created later is watched already.
  e.ns("team-c");
  e.apply(deployment("team-c", "c1", "c:1", 1));
  REQUIRE(eventually(
      [&] { return e.workload("team-c:deployment/c1").has_value(); }));
  auto only_c = e.workloads("team-c");
  REQUIRE(only_c);
  CHECK(only_c->size() == 1);
  auto b = e.workloads("team-b");
  REQUIRE(b);
  CHECK(b->empty());
}

TEST_CASE("add-ons in kube-system are hidden") {
  env e;
  e.ns("kube-system");
  auto addon = json::parse(deployment("kube-system", "dns", "coredns:1", 1));
  addon.at("metadata")
      .at("labels")
      .as_object()["addonmanager.kubernetes.io/mode"] = "Reconcile";
  e.client->apply(addon, {});
  e.apply(deployment("kube-system", "mine", "mine:1", 1));
  e.start();
  REQUIRE(eventually(
      [&] { return e.workload("kube-system:deployment/mine").has_value(); }));
  CHECK_FALSE(e.workload("kube-system:deployment/dns"));
}

TEST_CASE("not synced while the API server is away, and ping false") {
  env e({{}, false, false});
  e.start();
  std::string error;
  CHECK_FALSE(e.workloads("", &error));
  CHECK(error.find("not_synced") != std::string::npos);
  auto ping = e.ping();
  REQUIRE(ping);
  CHECK_FALSE(*ping);
  std::string export_error;
  CHECK_FALSE(e.export_yaml(&export_error));
  CHECK(export_error.find("unreachable") != std::string::npos);
  // The watches back off and list once the server is there.
  e.emulator->restart();
  REQUIRE(eventually([&] { return e.workloads().has_value(); }, 15s));
  CHECK(e.ping() == std::optional<bool>(true));
}

TEST_CASE("ping: true, then false once the emulator is stopped") {
  env e;
  e.start();
  CHECK(e.ping() == std::optional<bool>(true));
  e.emulator->stop();
  CHECK(e.ping() == std::optional<bool>(false));
}

TEST_CASE("export: the allowed namespaces and their workloads as YAML") {
  env e({{"demo"}});
  e.ns("demo");
  e.ns("other");
  e.apply(deployment("demo", "web", "nginx:1.25", 1));
  e.apply(deployment("other", "hidden", "x:1", 1));
  e.start();
  auto yaml = e.export_yaml();
  REQUIRE(yaml);
  auto docs = YAML::LoadAll(*yaml);
  REQUIRE(docs.size() == 2);
  CHECK(docs[0]["kind"].Scalar() == "Namespace");
  CHECK(docs[0]["metadata"]["name"].Scalar() == "demo");
  CHECK(docs[1]["kind"].Scalar() == "Deployment");
  CHECK(docs[1]["apiVersion"].Scalar() == "apps/v1");
  CHECK(docs[1]["metadata"]["name"].Scalar() == "web");
}

TEST_CASE("pull secrets from workloads and service accounts, refreshed") {
  env e({{}, true});
  e.ns("apps");
  e.apply(pull_secret("apps", "hub", "https://index.docker.io/v1/", "one"));
  e.apply(pull_secret("apps", "quay", "quay.io", "q"));
  e.apply(R"({"apiVersion": "v1", "kind": "ServiceAccount", "metadata":
    {"name": "builder", "namespace": "apps"}, "imagePullSecrets":
    [{"name": "quay"}]})");
  e.apply(deployment("apps", "web", "private/web:1", 1,
                     R"("serviceAccountName": "builder", "imagePullSecrets":
                        [{"name": "hub"}], )"));
  e.start();
  REQUIRE(eventually([&] { return user_for(*e.creds, "docker.io") == "one"; }));
  // Every Docker Hub spelling finds it.
  CHECK(user_for(*e.creds, "index.docker.io") == "one");
  CHECK(user_for(*e.creds, "registry-1.docker.io") == "one");
  CHECK(user_for(*e.creds, "quay.io") == "q");

  SECTION("a changed Secret is read again") {
    e.apply(pull_secret("apps", "hub", "docker.io", "two"));
    REQUIRE(
        eventually([&] { return user_for(*e.creds, "docker.io") == "two"; }));
  }
  SECTION("a service account that gains a secret") {
    e.apply(pull_secret("apps", "ghcr", "ghcr.io", "sa-g"));
    e.apply(R"({"apiVersion": "v1", "kind": "ServiceAccount", "metadata":
      {"name": "builder", "namespace": "apps"}, "imagePullSecrets":
      [{"name": "quay"}, {"name": "ghcr"}]})");
    REQUIRE(
        eventually([&] { return user_for(*e.creds, "ghcr.io") == "sa-g"; }));
  }
  SECTION("a new workload's secret is picked up, a deleted one's dropped") {
    e.apply(pull_secret("apps", "ghcr", "ghcr.io", "g"));
    e.apply(deployment("apps", "api", "ghcr.io/org/api:1", 1,
                       R"("imagePullSecrets": [{"name": "ghcr"}], )"));
    REQUIRE(eventually([&] { return user_for(*e.creds, "ghcr.io") == "g"; }));
    e.client->remove({"apps/v1", "Deployment", "apps", "api"}, {});
    REQUIRE(eventually([&] { return user_for(*e.creds, "ghcr.io").empty(); }));
    CHECK(user_for(*e.creds, "docker.io") == "one");
  }
}

TEST_CASE("workloads that name no new pull secret source read nothing") {
  env e({{}, true});
  e.ns("apps");
  e.apply(pull_secret("apps", "hub", "docker.io", "one"));
  const std::string source = R"("imagePullSecrets": [{"name": "hub"}], )";
  e.apply(deployment("apps", "web", "private/web:1", 1, source));
  e.start();
  REQUIRE(eventually([&] { return user_for(*e.creds, "docker.io") == "one"; }));
  auto gets = [&] {
    return e.client->request({"GET", "/debug/requests"}).at("get").as_int64();
  };
  std::this_thread::sleep_for(300ms); // a refresh still running ends
  auto before = gets();
  for (int i = 0; i < 5; ++i) {
    e.apply(deployment("apps", "api-" + std::to_string(i), "private/api:1", 1,
                       source));
    std::this_thread::sleep_for(150ms); // past the 100 ms debounce
  }
  REQUIRE(eventually([&] {
    auto all = e.workloads("apps");
    return all && all->size() == 6;
  }));
  std::this_thread::sleep_for(300ms);
  // Every new workload used to re-read the ServiceAccount and the Secret.
  CHECK(gets() == before);
  // A workload with a source of its own is read at once.
  e.apply(pull_secret("apps", "quay", "quay.io", "q"));
  e.apply(deployment("apps", "worker", "quay.io/org/worker:1", 1,
                     R"("imagePullSecrets": [{"name": "quay"}], )"));
  REQUIRE(eventually([&] { return user_for(*e.creds, "quay.io") == "q"; }));
  CHECK(user_for(*e.creds, "docker.io") == "one");
}

TEST_CASE("HelmReleases once their CRD is served") {
  options o;
  o.recheck = 200ms;
  env e(o);
  e.ns("demo");
  e.start();
  REQUIRE(eventually([&] { return e.workloads().has_value(); }));
  e.apply(R"({"apiVersion": "apiextensions.k8s.io/v1", "kind":
    "CustomResourceDefinition", "metadata": {"name":
    "helmreleases.helm.fluxcd.io"}, "spec": {"group": "helm.fluxcd.io",
    "scope": "Namespaced", "names": {"kind": "HelmRelease", "plural":
    "helmreleases", "singular": "helmrelease", "listKind":
    "HelmReleaseList"}, "versions": [{"name": "v1", "served": true,
    "storage": true, "schema": {"openAPIV3Schema": {"type": "object",
    "x-kubernetes-preserve-unknown-fields": true}}}]}})");
  REQUIRE(eventually([&] {
    try {
      e.apply(R"({"apiVersion": "helm.fluxcd.io/v1", "kind": "HelmRelease",
        "metadata": {"name": "podinfo", "namespace": "demo"}, "spec":
        {"chart": {"name": "podinfo"}, "values": {"image": {"repository":
        "stefanprodan/podinfo", "tag": "3.1.0"}}}, "status":
        {"releaseStatus": "deployed"}})");
      return true;
    } catch (const std::exception&) {
      return false; // the client's discovery has not seen the CRD yet
    }
  }));
  std::optional<live_workload> hr;
  REQUIRE(eventually([&] {
    hr = e.workload("demo:helmrelease/podinfo");
    return hr.has_value();
  }));
  CHECK(hr->status == "deployed");
  REQUIRE(hr->containers.size() == 1);
  CHECK(hr->containers[0].name == "chart-image");
  CHECK(hr->containers[0].image == "stefanprodan/podinfo:3.1.0");
}

TEST_CASE("cluster_children: a cluster-view from the kubeconfig, or none") {
  env e;
  e.ns("a");
  e.ns("b");
  e.apply(deployment("a", "one", "one:1", 1));
  e.apply(deployment("b", "two", "two:1", 1));
  config::daemon_config flags;
  flags.kube_config = e.dir.file("missing-kubeconfig");
  CHECK(cluster_children(flags, nullptr).empty());

  flags.kube_config = e.emulator->kubeconfig();
  // As parsed: --k8s-namespace-whitelist merged into the allowed ones.
  flags.k8s_allow_namespace = {"a", "b"};
  auto specs = cluster_children(flags, nullptr);
  REQUIRE(specs.size() == 1);
  CHECK(specs[0].name == "cluster-view");
  caf::scoped_actor self{*e.sys};
  e.view = caf::actor_cast<cluster_view_full_actor>(
      specs[0].start(caf::actor_cast<caf::local_actor*>(self.ptr())));
  REQUIRE(eventually([&] {
    auto all = e.workloads();
    return all && all->size() == 2;
  }));
}

// A measurement, not a check: `cluster_view_test "[.bench]"` prints how long
// the first list of 2000 Deployments takes and how soon a change shows.
TEST_CASE("bench: 2000 deployments", "[.bench]") {
  env e;
  kube::client_options fast;
  fast.qps = 5000;
  fast.burst = 5000;
  auto writer = std::make_shared<kube::client>(e.rc, fast);
  writer->apply(json::parse(
      R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}})"));
  std::vector<json::value> objs;
  for (int i = 0; i < 2000; ++i)
    objs.push_back(
        json::parse(deployment("b", "d" + std::to_string(i), "img:1", 1)));
  kube::apply_all(*writer, objs, {}, 4);
  auto t0 = std::chrono::steady_clock::now();
  e.start();
  REQUIRE(eventually(
      [&] {
        auto all = e.workloads();
        return all && all->size() == 2000;
      },
      60s));
  auto listed = std::chrono::steady_clock::now() - t0;
  t0 = std::chrono::steady_clock::now();
  writer->apply(json::parse(deployment("b", "d7", "img:2", 1)));
  REQUIRE(eventually([&] {
    auto w = e.workload("b:deployment/d7");
    return w && w->containers.at(0).image == "img:2";
  }));
  auto seen = std::chrono::steady_clock::now() - t0;
  t0 = std::chrono::steady_clock::now();
  int n = 100;
  for (int i = 0; i < n; ++i)
    e.workloads();
  auto per_list = (std::chrono::steady_clock::now() - t0) / n;
  auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  auto us = [](auto d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  };
  WARN("first list of 2000: " << ms(listed) << " ms; change seen after "
                              << ms(seen) << " ms; list-workloads request "
                              << us(per_list) << " us");
}
