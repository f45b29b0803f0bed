// The client against the real kube-emulator over TLS.
#include "adapters/kube/client.hpp"
#include "adapters/kube/watch.hpp"
#include "tests/support/kube_emulator.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <sys/stat.h>
#include <thread>

#include <boost/json.hpp>

using namespace fluxd::kube;
using fluxd::test::kube_emulator;
using fluxd::test::temp_dir;
using fluxd::test::write_file;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

struct emulator_env {
  explicit emulator_env(kube_emulator::options opts = {})
    : dir("kube-client-emu"), emulator(dir.file("kubeconfig"), opts) {}
  rest_config config(const std::string& context = {}) const {
    return load_kubeconfig({emulator.kubeconfig()}, context);
  }
  temp_dir dir;
  kube_emulator emulator;
};

kube_emulator::options with(std::string auth, std::string state = {},
                            std::vector<std::string> extra = {}) {
  kube_emulator::options o;
  o.auth = std::move(auth);
  o.state_dir = std::move(state);
  o.extra_args = std::move(extra);
  return o;
}

json::value configmap(const std::string& ns, const std::string& name,
                      const std::string& value,
                      json::object labels = json::object{}) {
  return json::object{
    {"apiVersion", "v1"},
    {"kind", "ConfigMap"},
    {"metadata", json::object{{"name", name},
                              {"namespace", ns},
                              {"labels", std::move(labels)}}},
    {"data", json::object{{"key", value}}}};
}

json::value ns_object(const std::string& name) {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "Namespace"},
                      {"metadata", json::object{{"name", name}}}};
}

std::string data_of(const json::value& obj) {
  return std::string(obj.at("data").at("key").as_string());
}

/// Collects watch events on a thread and lets the test wait for them.
class watch_probe {
public:
  watch_probe(client& c, const resource_info& res, std::string ns,
              watch_options opts = {}) {
    opts.initial_backoff = 50ms;
    opts.max_backoff = 500ms;
    thread_ = std::thread([this, &c, res, ns, opts] {
      watch(c, res, ns, opts, [this](const watch_event& ev) {
        std::lock_guard<std::mutex> lock(mtx_);
        events_.push_back(ev);
        cv_.notify_all();
        return true;
      }, &cancel_);
    });
  }
  ~watch_probe() {
    cancel_.cancel();
    thread_.join();
  }
  /// Waits until an event satisfies `pred`; false after 10 s.
  bool wait_for(const std::function<bool(const watch_event&)>& pred) {
    std::unique_lock<std::mutex> lock(mtx_);
    return cv_.wait_for(lock, 10s, [&] {
      for (; seen_ < events_.size(); ++seen_)
        if (pred(events_[seen_])) {
          ++seen_;
          return true;
        }
      return false;
    });
  }
  int count(watch_event_type t) {
    std::lock_guard<std::mutex> lock(mtx_);
    int n = 0;
    for (auto& e : events_)
      n += e.type == t;
    return n;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<watch_event> events_;
  std::size_t seen_ = 0;
  stream_cancel cancel_;
  std::thread thread_;
};

bool is(const watch_event& ev, watch_event_type t, const std::string& name,
        const std::string& value = {}) {
  if (ev.type != t)
    return false;
  auto& meta = ev.object.at("metadata");
  if (meta.at("name").as_string() != name)
    return false;
  return value.empty() || data_of(ev.object) == value;
}

} // namespace

TEST_CASE("emulator: token auth over TLS, discovery and get") {
  emulator_env env;
  client c(env.config());
  CHECK(c.config().namespace_name == "default");
  auto def = c.get({"v1", "Namespace", "", "default"});
  CHECK(def.at("metadata").at("name") == "default");
  auto deploy = c.discovery().resolve("apps/v1", "Deployment");
  CHECK(deploy.plural == "deployments");
  CHECK(deploy.namespaced);
  CHECK_FALSE(c.discovery().resolve("rbac.authorization.k8s.io/v1",
                                    "ClusterRole").namespaced);
  CHECK(c.discovery().resolve("coordination.k8s.io/v1", "Lease").plural
        == "leases");
  CHECK_THROWS_AS(c.discovery().resolve("v1", "Bogus"), unknown_kind_error);

  auto wrong = env.config();
  wrong.token = "not-the-token";
  client refused(wrong);
  try {
    refused.get({"v1", "Namespace", "", "default"});
    FAIL("expected 401");
  } catch (const api_error& e) {
    CHECK(e.code() == 401);
    CHECK_THAT(std::string(e.what()), !Catch::Contains("not-the-token"));
  }
}

TEST_CASE("emulator: client certificate auth") {
  emulator_env env(with("cert"));
  client c(env.config("cert"));
  CHECK(c.get({"v1", "Namespace", "", "default"}).is_object());
  client token_user(env.config("token"));
  CHECK_THROWS_AS(token_user.get({"v1", "Namespace", "", "default"}),
                  kube_error);
}

TEST_CASE("emulator: kubeconfig forms with files, tokenFile and exec") {
  emulator_env env;
  auto& kc = env.emulator.kubeconfig();
  auto server = env.emulator.url();
  auto plugin = env.dir.file("bin/token-plugin");
  write_file(plugin, "#!/bin/sh\nprintf '{\"apiVersion\":\"client."
                     "authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                     "\"status\":{\"token\":\"%s\"}}' \"$(cat "
                       + kc + ".token)\"\n");
  ::chmod(plugin.c_str(), 0755);
  auto forms = env.dir.file("forms.yaml");
  write_file(forms,
             "apiVersion: v1\nkind: Config\ncurrent-context: files\n"
             "clusters:\n- name: emu\n  cluster:\n    server: " + server
               + "\n    certificate-authority: " + kc + ".ca.crt\n"
               "users:\n- name: tokfile\n  user:\n    tokenFile: " + kc
               + ".token\n- name: exec\n  user:\n    exec:\n"
                 "      apiVersion: client.authentication.k8s.io/v1\n"
                 "      command: bin/token-plugin\n"
                 "      interactiveMode: Never\n"
                 "contexts:\n- name: files\n  context: {cluster: emu, "
                 "user: tokfile, namespace: team}\n"
                 "- name: exec\n  context: {cluster: emu, user: exec}\n");
  for (auto ctx : {"files", "exec"}) {
    INFO(ctx);
    client c(load_kubeconfig({forms}, ctx));
    CHECK(c.get({"v1", "Namespace", "", "default"}).is_object());
  }
  // KUBECONFIG=forms:emulator's: forms' current-context wins, and a
  // context from the second file is reachable by name.
  config_options opts;
  opts.kubeconfig_env = forms + ":" + kc;
  CHECK(load_config(opts).namespace_name == "team");
  opts.context = "token";
  client merged(load_config(opts));
  CHECK(merged.get({"v1", "Namespace", "", "default"}).is_object());
}

TEST_CASE("emulator: in-cluster configuration") {
  emulator_env env;
  temp_dir sa("kube-client-sa");
  write_file(sa.file("token"), env.emulator.token());
  write_file(sa.file("ca.crt"),
             fluxd::test::read_file(env.emulator.ca_path()));
  write_file(sa.file("namespace"), "default\n");
  config_options opts;
  opts.kubeconfig_env = "";
  opts.home = sa.path();
  opts.service_account_dir = sa.path();
  opts.env = std::map<std::string, std::string>{
    {"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
    {"KUBERNETES_SERVICE_PORT", std::to_string(env.emulator.port())}};
  client c(load_config(opts));
  CHECK(c.config().origin == "in-cluster");
  c.apply(configmap("default", "from-pod", "1"));
  // A rotated token that the server does not know is refused at once.
  write_file(sa.file("token"), "rotated-but-unknown\n");
  CHECK_THROWS_AS(c.get({"v1", "ConfigMap", "default", "from-pod"}),
                  api_error);
  write_file(sa.file("token"), env.emulator.token());
  CHECK(data_of(c.get({"v1", "ConfigMap", "default", "from-pod"})) == "1");
}

TEST_CASE("emulator: apply, get, list with paging and selectors") {
  emulator_env env;
  client c(env.config());
  c.apply(ns_object("team"));
  std::vector<json::value> objs;
  for (int i = 0; i < 25; ++i)
    objs.push_back(configmap("team", "cm-" + std::to_string(i), "v",
                             {{"tier", i % 2 ? "odd" : "even"}}));
  auto results = apply_all(c, objs, {}, 4);
  for (auto& r : results)
    REQUIRE(r.message == "");
  auto stored = c.get({"v1", "ConfigMap", "team", "cm-3"});
  CHECK(data_of(stored) == "v");
  CHECK(stored.at("metadata").at("uid").as_string().size() > 0);

  auto res = c.discovery().resolve("v1", "ConfigMap");
  list_options lo;
  lo.limit = 10;
  auto page = c.list(res, "team", lo);
  CHECK(page.items.size() == 10);
  CHECK_FALSE(page.continue_token.empty());
  CHECK(page.items[0].at("kind") == "ConfigMap");
  auto all = c.list_all(res, "team", lo);
  CHECK(all.items.size() == 25);
  CHECK_FALSE(all.resource_version.empty());
  lo.label_selector = "tier=odd";
  CHECK(c.list_all(res, "team", lo).items.size() == 12);
  lo.label_selector = "tier in (odd,even),tier!=even";
  CHECK(c.list_all(res, "team", lo).items.size() == 12);
  lo = {};
  lo.field_selector = "metadata.name=cm-7";
  CHECK(c.list(res, "team", lo).items.size() == 1);
  // Across namespaces.
  CHECK(c.list_all(res, "", {}).items.size() >= 25);
}

TEST_CASE("emulator: SSA conflicts, force, dry-run, delete") {
  emulator_env env;
  client c(env.config());
  apply_options alice;
  alice.field_manager = "alice";
  apply_options bob;
  bob.field_manager = "bob";
  auto created = c.apply(configmap("default", "shared", "a"), alice);
  CHECK(data_of(created) == "a");
  try {
    c.apply(configmap("default", "shared", "b"), bob);
    FAIL("expected a conflict");
  } catch (const api_error& e) {
    CHECK(e.conflict());
    CHECK(e.reason() == "Conflict");
    REQUIRE_FALSE(e.status().causes.empty());
    CHECK(e.status().causes[0].reason == "FieldManagerConflict");
    CHECK_THAT(e.status().causes[0].field, Catch::Contains("data"));
    CHECK(e.method() == "PATCH");
    CHECK_THAT(e.path(), Catch::StartsWith(
                           "/api/v1/namespaces/default/configmaps/shared"));
  }
  bob.force = true;
  CHECK(data_of(c.apply(configmap("default", "shared", "b"), bob)) == "b");

  apply_options dry;
  dry.dry_run = true;
  CHECK(data_of(c.apply(configmap("default", "ghost", "x"), dry)) == "x");
  CHECK_THROWS_MATCHES(c.get({"v1", "ConfigMap", "default", "ghost"}),
                       api_error,
                       Catch::Predicate<api_error>(
                         [](const api_error& e) { return e.not_found(); }));

  delete_options del;
  del.propagation_policy = "Background";
  c.remove({"v1", "ConfigMap", "default", "shared"}, del);
  CHECK_THROWS_AS(c.get({"v1", "ConfigMap", "default", "shared"}),
                  api_error);
  try {
    c.remove({"v1", "ConfigMap", "default", "shared"});
    FAIL("expected NotFound");
  } catch (const api_error& e) {
    CHECK(e.not_found());
    CHECK(e.method() == "DELETE");
  }
  // A namespaced object in a namespace that does not exist.
  CHECK_THROWS_AS(c.apply(configmap("nowhere", "x", "y")), api_error);
}

TEST_CASE("emulator: a CRD makes its kind resolvable") {
  emulator_env env;
  client c(env.config());
  c.discovery().refresh();
  json::value crd = json::parse(R"({
    "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"helmreleases.helm.fluxcd.io"},
    "spec":{"group":"helm.fluxcd.io","scope":"Namespaced",
      "names":{"kind":"HelmRelease","plural":"helmreleases",
               "singular":"helmrelease","listKind":"HelmReleaseList"},
      "versions":[{"name":"v1","served":true,"storage":true,
        "schema":{"openAPIV3Schema":{"type":"object",
          "x-kubernetes-preserve-unknown-fields":true}}}]}})");
  // A schema nested far deeper than Boost.JSON's default limit of 32.
  json::value schema = json::object{{"type", "string"}};
  for (int i = 0; i < 40; ++i)
    schema = json::object{{"type", "object"},
                          {"properties", json::object{{"f", schema}}}};
  crd.at("spec").at("versions").at(0).at("schema").as_object()
    ["openAPIV3Schema"] = schema;
  c.apply(crd);
  auto stored_crd =
    c.get({"apiextensions.k8s.io/v1", "CustomResourceDefinition", "",
           "helmreleases.helm.fluxcd.io"});
  CHECK(stored_crd.at("spec").at("group") == "helm.fluxcd.io");
  c.discovery().invalidate(); // fluxd does this when it applies a CRD
  auto hr = c.discovery().resolve("helm.fluxcd.io/v1", "HelmRelease");
  CHECK(hr.plural == "helmreleases");
  CHECK(hr.namespaced);
  json::value release = {{"apiVersion", "helm.fluxcd.io/v1"},
                         {"kind", "HelmRelease"},
                         {"metadata", {{"name", "podinfo"}}},
                         {"spec", {{"chart", {{"name", "podinfo"}}}}}};
  auto stored = c.apply(release);
  CHECK(stored.at("metadata").at("namespace") == "default");
}

TEST_CASE("emulator: watch sees ADDED, MODIFIED, DELETED and bookmarks") {
  emulator_env env(with("token", {}, {"--bookmark-interval", "200ms"}));
  client c(env.config());
  auto res = c.discovery().resolve("v1", "ConfigMap");
  c.apply(configmap("default", "before", "0"));
  watch_probe probe(c, res, "default");
  REQUIRE(probe.wait_for([](const watch_event& ev) {
    return ev.type == watch_event_type::synced && ev.items.size() == 1;
  }));
  c.apply(configmap("default", "w", "1"));
  CHECK(probe.wait_for([](const watch_event& ev) {
    return is(ev, watch_event_type::added, "w", "1");
  }));
  c.apply(configmap("default", "w", "2"));
  CHECK(probe.wait_for([](const watch_event& ev) {
    return is(ev, watch_event_type::modified, "w", "2");
  }));
  c.remove({"v1", "ConfigMap", "default", "w"});
  CHECK(probe.wait_for([](const watch_event& ev) {
    return is(ev, watch_event_type::deleted, "w");
  }));
  CHECK(probe.wait_for([](const watch_event& ev) {
    return ev.type == watch_event_type::bookmark
           && !ev.resource_version.empty();
  }));
}

TEST_CASE("emulator: a too old resourceVersion re-lists (410)") {
  emulator_env env(with("token", {}, {"--watch-cache-size", "5"}));
  client c(env.config());
  auto res = c.discovery().resolve("v1", "ConfigMap");
  auto old_rv = c.list(res, "default").resource_version;
  for (int i = 0; i < 20; ++i)
    c.apply(configmap("default", "churn", std::to_string(i)));
  watch_options wo;
  wo.resource_version = old_rv;
  watch_probe probe(c, res, "default", wo);
  CHECK(probe.wait_for([](const watch_event& ev) {
    return ev.type == watch_event_type::synced && ev.items.size() == 1
           && data_of(ev.items[0]) == "19";
  }));
  c.apply(configmap("default", "churn", "after"));
  CHECK(probe.wait_for([](const watch_event& ev) {
    return is(ev, watch_event_type::modified, "churn", "after");
  }));
}

TEST_CASE("emulator: restart with --state under a running watch") {
  temp_dir state("kube-client-state");
  emulator_env env(with("token", state.path()));
  client c(env.config());
  auto res = c.discovery().resolve("v1", "ConfigMap");
  c.apply(configmap("default", "kept", "1"));
  watch_probe probe(c, res, "default");
  REQUIRE(probe.wait_for([](const watch_event& ev) {
    return ev.type == watch_event_type::synced && ev.items.size() == 1;
  }));
  // The emulator's SIGTERM waits for idle keep-alive connections to time
  // out (30 s), so let go of ours; the watch stays open through the stop.
  c.transport().close_idle();
  CHECK(env.emulator.stop() == 0);
  env.emulator.restart(); // same port, same CA and token, same objects
  CHECK(data_of(c.get({"v1", "ConfigMap", "default", "kept"})) == "1");
  c.apply(configmap("default", "kept", "2"));
  // Seen either as an event on the resumed watch or in a re-list.
  CHECK(probe.wait_for([](const watch_event& ev) {
    if (ev.type == watch_event_type::synced)
      return ev.items.size() == 1 && data_of(ev.items[0]) == "2";
    return is(ev, watch_event_type::modified, "kept", "2");
  }));
  CHECK(probe.count(watch_event_type::error) >= 1);
}

TEST_CASE("emulator: apply throughput from a few threads", "[.][bench]") {
  emulator_env env;
  client_options opts;
  opts.qps = 0;
  client c(env.config(), opts);
  c.apply(ns_object("bench"));
  for (int threads : {1, 4, 8}) {
    std::vector<json::value> objs;
    for (int i = 0; i < 1000; ++i)
      objs.push_back(configmap("bench", "cm-" + std::to_string(i),
                               std::to_string(threads)));
    auto t0 = std::chrono::steady_clock::now();
    auto results = apply_all(c, objs, {}, threads);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
    for (auto& r : results)
      REQUIRE(r.message == "");
    WARN(threads << " threads: 1000 applies in " << ms << " ms, "
                 << c.transport().connections_opened() << " connections");
  }
}
