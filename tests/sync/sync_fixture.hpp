#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "actors/git_mirror.hpp"
#include "actors/git_writer.hpp"
#include "actors/sync_coordinator.hpp"
#include "adapters/kube/config.hpp"
#include "adapters/sync/desired.hpp"
#include "messages/core.hpp"
#include "tests/adapters/git/fixtures.hpp"
#include "tests/support/kube_emulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

/// A git daemon serving a sample repository, the kube emulator, the real
/// kubectl, and fluxd's git and sync actors in this process.
namespace fluxd::test::syncfx {

using namespace std::chrono_literals;
namespace fx = fluxd::test::gitfx;

/// Skips a test, loudly, on machines without kubectl.
#define SKIP_IF_NO_KUBECTL()                                                   \
  do {                                                                         \
    if (!fluxd::test::have_program("kubectl")) {                               \
      WARN("kubectl is not installed: skipping this test");                   \
      return;                                                                  \
    }                                                                          \
  } while (false)

/// Polls `pred` every 50 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = 10s) {
  return fluxd::test::eventually(pred, timeout, 50ms);
}

inline std::string namespace_yaml(const std::string& name) {
  return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n";
}

inline std::string deployment_yaml(const std::string& ns,
                                   const std::string& name,
                                   const std::string& image, int replicas = 2,
                                   const std::string& extra_annotations = "") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name
         + "\n  namespace: " + ns
         + "\n  annotations:\n    team: web\n" + extra_annotations
         + "spec:\n  replicas: " + std::to_string(replicas)
         + "\n  selector:\n    matchLabels:\n      app: " + name
         + "\n  template:\n    metadata:\n      labels:\n        app: " + name
         + "\n    spec:\n      containers:\n      - name: main\n"
           "        image: "
         + image + "\n";
}

inline std::string configmap_yaml(const std::string& ns,
                                  const std::string& name,
                                  const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name
         + "\n  namespace: " + ns + "\ndata:\n  key: \"" + value + "\"\n";
}

/// What a test event sink received.
struct event_log {
  std::mutex mtx;
  std::vector<fluxd_event> events;
  std::vector<boost::json::value> of_type(const std::string& type) {
    std::lock_guard<std::mutex> lock{mtx};
    std::vector<boost::json::value> out;
    for (const auto& e : events)
      if (e.type == type)
        out.push_back(boost::json::parse(e.json));
    return out;
  }
};

inline caf::behavior event_sink(std::shared_ptr<event_log> log) {
  return {[log](const fluxd_event& e) {
    std::lock_guard<std::mutex> lock{log->mtx};
    log->events.push_back(e);
  }};
}

struct options {
  bool gc = false;
  bool gc_dry = false;
  std::vector<std::string> allow_namespaces;
  std::string default_namespace;
  std::string emulator_state; ///< --state dir ("" none)
  std::chrono::milliseconds sync_timeout = 5s;
  /// --k8s-unsafe-exclude-resource (nullopt: fluxd's defaults).
  std::optional<std::vector<std::string>> exclude_resources;
  bool coordinator = true; ///< false: the test starts its own
};

struct env {
  explicit env(const std::map<std::string, std::string>& files,
               options opts = {})
    : dir("fluxd-sync"),
      emulator(dir.file("kubeconfig"), emulator_options(opts)),
      up(dir.path(), "cfg", files),
      daemon(dir.path() + "/srv"),
      opts(opts) {
    cfg.add_error_category(caf::atom("fluxd"), render_errc);
    cfg.add_error_category(caf::atom("git"), render_git_error);
    cfg.add_error_category(caf::atom("sync"), render_sync_error);
    cfg.add_message_types<caf::id_block::fluxd_git>();
    cfg.add_message_types<caf::id_block::fluxd_sync>();
    cfg.add_message_types<caf::id_block::fluxd_auto>();
    sys = std::make_unique<caf::actor_system>(cfg);
    start();
  }

  static kube_emulator::options emulator_options(const options& o) {
    kube_emulator::options eo;
    eo.state_dir = o.emulator_state;
    eo.rollout_delay = "100ms";
    return eo;
  }

  void start() {
    git_mirror_config mc;
    mc.remote.url = daemon.url("cfg.git");
    mc.branch = "master";
    mc.mirror_dir = dir.file("mirror");
    mc.poll_interval = 500ms;
    mc.retry_interval = 500ms;
    mirror = caf::actor_cast<git_mirror_actor>(
      sys->spawn<caf::detached>(git_mirror, mc));
    git_writer_config wc;
    wc.remote.url = mc.remote.url;
    wc.work_dir = dir.file("writer");
    wc.identity.user = "Flux";
    wc.identity.email = "flux@example.com";
    writer = caf::actor_cast<git_writer_actor>(
      sys->spawn<caf::detached>(git_writer, wc));

    kube::config_options where;
    where.kubeconfig = emulator.kubeconfig();
    client = std::make_shared<kube::client>(kube::load_config(where));
    auto& sc = sync_config;
    auto m = mirror;
    auto w = writer;
    sc.mirror = [m] { return m; };
    sc.writer = [w] { return w; };
    sc.client = client;
    sc.cluster.set_name =
      sync::sync_set_name(mc.remote.url, "master", {});
    sc.cluster.allow_namespaces = opts.allow_namespaces;
    sc.cluster.default_namespace = opts.default_namespace;
    if (opts.exclude_resources)
      sc.cluster.exclude_resources = *opts.exclude_resources;
    sc.gc = opts.gc;
    sc.gc_dry = opts.gc_dry;
    sc.interval = 1min;
    sc.timeout = opts.sync_timeout;
    sc.retry_initial = 200ms;
    sc.retry_max = 1s;
    sc.workers = 3;
    sink = sys->spawn(event_sink, events);
    auto to = caf::actor_cast<event_sink_actor>(sink);
    sc.events = [to] { return to; };
    if (opts.coordinator)
      start_coordinator();
  }

  /// With `options::coordinator` false: starts the sync once the test has
  /// put the cluster objects it wants there first.
  void start_coordinator() {
    coordinator = sys->spawn(sync_coordinator, sync_config);
  }

  ~env() {
    if (coordinator)
      caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(mirror, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }

  template <class T, class... Ts>
  std::optional<T> ask(Ts... xs) {
    caf::scoped_actor self{*sys};
    std::optional<T> out;
    self->request(coordinator, 10s, xs...)
      .receive([&](T& x) { out = std::move(x); }, [&](caf::error&) {});
    return out;
  }

  std::optional<sync_result> result(const std::string& revision = {}) {
    return ask<sync_result>(sync_result_atom_v, revision);
  }

  sync_status status() {
    return ask<sync_status>(sync_status_atom_v).value_or(sync_status{});
  }

  /// Waits for a finished sync of `revision` (newer than `after_ms`).
  sync_result synced(const std::string& revision, int64_t after_ms = 0,
                     std::chrono::milliseconds timeout = 15s) {
    sync_result out;
    bool ok = eventually(
      [&] {
        auto r = result(revision);
        if (!r || r->finished_unix_ms <= after_ms)
          return false;
        out = *r;
        return true;
      },
      timeout);
    INFO("revision " << revision);
    REQUIRE(ok);
    return out;
  }

  /// Waits for a successful sync of `revision`.
  sync_result synced_ok(const std::string& revision,
                        std::chrono::milliseconds timeout = 20s) {
    sync_result out;
    bool ok = eventually(
      [&] {
        auto r = result(revision);
        if (!r || !r->success)
          return false;
        out = *r;
        return true;
      },
      timeout);
    INFO("revision " << revision);
    REQUIRE(ok);
    return out;
  }

  /// `kubectl create -f` of a manifest (the emulator has no protobuf, so
  /// kubectl's generators like `create configmap` do not work).
  int create(const std::string& yaml) {
    static int n = 0;
    auto file = dir.file("create-" + std::to_string(++n) + ".yaml");
    write_file(file, yaml);
    return kubectl({"create", "-f", file}).status;
  }

  /// Asks for a sync now (fetch, then sync the head).
  std::string sync_now() {
    return ask<std::string>(sync_now_atom_v).value_or("");
  }

  run_result kubectl(std::vector<std::string> args,
                     std::map<std::string, std::string> env_vars = {}) {
    std::vector<std::string> argv = {"kubectl", "--kubeconfig",
                                     emulator.kubeconfig(), "--cache-dir",
                                     dir.file("kcache")};
    argv.insert(argv.end(), args.begin(), args.end());
    child_process::options o;
    o.env["HOME"] = dir.path();
    for (auto& [k, v] : env_vars)
      o.env[k] = v;
    return run(argv, 30s, o);
  }

  /// `kubectl get … -o jsonpath=…`; "" when the object is not there.
  std::string get(const std::string& what, const std::string& ns,
                  const std::string& path) {
    std::vector<std::string> args = {"get", what, "-o", "jsonpath=" + path};
    if (!ns.empty()) {
      args.push_back("-n");
      args.push_back(ns);
    }
    auto r = kubectl(args);
    return r.status == 0 ? r.out : std::string("<absent>");
  }

  bool exists(const std::string& what, const std::string& ns = {}) {
    return get(what, ns, "{.metadata.name}") != "<absent>";
  }

  /// The emulator's request counts: "get" (every GET: discovery, lists,
  /// watches, single objects), "write", "delete".
  boost::json::value requests() {
    auto r = kubectl({"get", "--raw", "/debug/requests"});
    REQUIRE(r.status == 0);
    return boost::json::parse(r.out);
  }

  /// Write requests the emulator has served.
  long writes() {
    auto v = requests();
    return static_cast<long>(v.at("write").to_number<double>()
                             + v.at("delete").to_number<double>());
  }

  std::string marker() {
    try {
      return fx::git({"rev-parse", "flux-sync^{commit}"}, up.bare);
    } catch (const std::exception&) {
      return "";
    }
  }

  temp_dir dir;
  kube_emulator emulator;
  fx::upstream up;
  fx::git_daemon daemon;
  options opts;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  git_mirror_actor mirror;
  git_writer_actor writer;
  std::shared_ptr<kube::client> client;
  sync_coordinator_config sync_config;
  std::shared_ptr<event_log> events = std::make_shared<event_log>();
  caf::actor sink;
  sync_impl coordinator;
};

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

} // namespace fluxd::test::syncfx
