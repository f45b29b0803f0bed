#include "tests/sync/sync_fixture.hpp"

#include <csignal>

using namespace fluxd;
using namespace fluxd::test::syncfx;

TEST_CASE("a broken manifest in one file: the others sync - its error is "
          "reported - the marker moves - GC holds back") {
  SKIP_IF_NO_KUBECTL();
  options o;
  o.gc = true;
  env e{{{"ns.yaml", namespace_yaml("demo")},
         {"a.yaml", deployment_yaml("demo", "a", "nginx:1")},
         {"b.yaml", deployment_yaml("demo", "b", "nginx:1")}},
        o};
  e.synced(e.up.head());
  auto rev = e.up.commit(
    {{"a.yaml", deployment_yaml("demo", "a", "nginx:2")},
     {"b.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                "\tname: b\n"}},
    "break b");
  auto r = e.synced(rev);
  CHECK(r.success);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].source == "b.yaml");
  CHECK(r.errors[0].id.empty());
  CHECK(e.get("deployment/a", "demo",
              "{.spec.template.spec.containers[0].image}")
        == "nginx:2");
  CHECK(e.exists("deployment/b", "demo")); // not garbage collected
  CHECK(eventually([&] { return e.marker() == rev; }));
  // b is still looked after from its last good state.
  REQUIRE(e.kubectl({"delete", "deployment/b", "-n", "demo"}).status == 0);
  CHECK(eventually([&] { return e.exists("deployment/b", "demo"); }));
}

TEST_CASE("a resource the API refuses records its error per ID and is "
          "retried - the rest applies") {
  SKIP_IF_NO_KUBECTL();
  // A Deployment in a namespace that does not exist (yet).
  env e{{{"a.yaml", deployment_yaml("nowhere", "a", "nginx:1")},
         {"b.yaml", configmap_yaml("default", "b", "x")}}};
  auto r = e.synced(e.up.head());
  CHECK(r.success);
  CHECK(r.applied == 1);
  REQUIRE(r.failed == 1);
  CHECK(r.errors.at(0).id == "nowhere:deployment/a");
  CHECK(r.errors.at(0).source == "a.yaml");
  CHECK(!r.errors.at(0).error.empty());
  auto errs = e.ask<std::vector<resource_error>>(sync_errors_atom_v);
  REQUIRE(errs);
  CHECK(errs->size() == 1);
  // Once the namespace exists, the retry with back-off gets it in.
  REQUIRE(e.create(namespace_yaml("nowhere")) == 0);
  CHECK(eventually([&] { return e.exists("deployment/a", "nowhere"); }));
}

TEST_CASE("the API server stopped mid-sync: applying pauses with back-off "
          "and catches up when it returns") {
  SKIP_IF_NO_KUBECTL();
  test::temp_dir state;
  options o;
  o.emulator_state = state.path();
  env e{{{"ns.yaml", namespace_yaml("demo")},
         {"a.yaml", deployment_yaml("demo", "a", "nginx:1")}},
        o};
  e.synced(e.up.head());
  REQUIRE(e.emulator.stop() == 0);
  auto rev = e.up.commit(
    {{"a.yaml", deployment_yaml("demo", "a", "nginx:2")},
     {"b.yaml", configmap_yaml("demo", "b", "new")}},
    "while the server is away");
  auto failed = e.synced(rev);
  CHECK(!failed.success);
  CHECK(e.marker() != rev);
  std::this_thread::sleep_for(2s); // a few retries against nothing
  e.emulator.restart();
  auto ok = e.synced_ok(rev);
  CHECK(ok.finished_unix_ms > failed.finished_unix_ms);
  CHECK(e.get("deployment/a", "demo",
              "{.spec.template.spec.containers[0].image}")
        == "nginx:2");
  CHECK(e.get("configmap/b", "demo", "{.data.key}") == "new");
  CHECK(eventually([&] { return e.marker() == rev; }));
  // The watches came back too: drift is still put back.
  REQUIRE(e.kubectl({"scale", "deployment/a", "-n", "demo", "--replicas=6"})
            .status
          == 0);
  CHECK(eventually([&] {
    return e.get("deployment/a", "demo", "{.spec.replicas}") == "2";
  }));
}

TEST_CASE("a resource actor killed on purpose is restarted and rebuilds "
          "from the last revision and the live object") {
  SKIP_IF_NO_KUBECTL();
  env e{{{"ns.yaml", namespace_yaml("demo")},
         {"a.yaml", deployment_yaml("demo", "a", "nginx:1")}}};
  e.synced(e.up.head());
  auto actor = e.ask<caf::actor>(resource_atom_v,
                                 std::string{"demo:deployment/a"});
  REQUIRE(actor);
  caf::anon_send_exit(*actor, caf::exit_reason::kill);
  CHECK(eventually([&] { return e.status().restarts == 1; }));
  auto again = e.ask<caf::actor>(resource_atom_v,
                                 std::string{"demo:deployment/a"});
  REQUIRE(again);
  CHECK(*again != *actor);
  REQUIRE(e.kubectl({"scale", "deployment/a", "-n", "demo", "--replicas=9"})
            .status
          == 0);
  CHECK(eventually([&] {
    return e.get("deployment/a", "demo", "{.spec.replicas}") == "2";
  }));
}

TEST_CASE("namespaces outside --k8s-allow-namespace are left untouched") {
  SKIP_IF_NO_KUBECTL();
  options o;
  o.allow_namespaces = {"allowed"};
  o.default_namespace = "allowed";
  env e{{{"ns.yaml", namespace_yaml("allowed") + "---\n"
                       + namespace_yaml("other")},
         {"a.yaml", deployment_yaml("allowed", "a", "nginx:1")},
         {"b.yaml", deployment_yaml("other", "b", "nginx:1")},
         {"c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                    "  name: c\ndata: {k: v}\n"}},
        o};
  auto r = e.synced(e.up.head());
  CHECK(r.success);
  CHECK(e.exists("deployment/a", "allowed"));
  CHECK(e.exists("configmap/c", "allowed")); // the default namespace
  CHECK(!e.exists("namespace/other"));
  CHECK(!e.exists("deployment/b", "other"));
}

TEST_CASE("sync timeout (--sync-timeout): a sync that outlasts it is "
          "abandoned, the marker stays, and the next sync retries") {
  SKIP_IF_NO_KUBECTL();
  options o;
  o.sync_timeout = 2s;
  env e{{{"ns.yaml", namespace_yaml("demo")},
         {"a.yaml", deployment_yaml("demo", "a", "nginx:1")}},
        o};
  auto first = e.synced_ok(e.up.head());
  CHECK(eventually([&] { return e.marker() == first.revision; }));
  // A hung API server: connections open, nothing answers.
  auto pid = e.emulator.process().pid();
  struct resume {
    pid_t pid;
    ~resume() { ::kill(pid, SIGCONT); }
  } resume_at_exit{pid};
  REQUIRE(::kill(pid, SIGSTOP) == 0);
  auto rev = e.up.commit({{"a.yaml", deployment_yaml("demo", "a", "nginx:2")}},
                         "while the server hangs");
  auto failed = e.synced(rev);
  ::kill(pid, SIGCONT);
  CHECK(!failed.success);
  CHECK(failed.error.find("timed out") != std::string::npos);
  CHECK(e.marker() == first.revision);
  auto ok = e.synced_ok(rev);
  CHECK(ok.finished_unix_ms > failed.finished_unix_ms);
  CHECK(e.get("deployment/a", "demo",
              "{.spec.template.spec.containers[0].image}")
        == "nginx:2");
  CHECK(eventually([&] { return e.marker() == rev; }));
}

TEST_CASE("a watcher killed on purpose is restarted and its resource actors "
          "keep getting drift events") {
  SKIP_IF_NO_KUBECTL();
  env e{{{"ns.yaml", namespace_yaml("demo")},
         {"a.yaml", deployment_yaml("demo", "a", "nginx:1")}}};
  e.synced_ok(e.up.head());
  auto watcher = e.ask<caf::actor>(watchers_atom_v,
                                   std::string{"apps/v1|Deployment"});
  REQUIRE(watcher);
  caf::anon_send_exit(*watcher, caf::exit_reason::kill);
  std::optional<caf::actor> again;
  CHECK(eventually([&] {
    again = e.ask<caf::actor>(watchers_atom_v,
                              std::string{"apps/v1|Deployment"});
    return again && *again != *watcher;
  }));
  // Only the new watch can tell the resource actor about this in time:
  // the next sync is a minute away.
  REQUIRE(e.kubectl({"scale", "deployment/a", "-n", "demo", "--replicas=7"})
            .status
          == 0);
  CHECK(eventually([&] {
    return e.get("deployment/a", "demo", "{.spec.replicas}") == "2";
  }));
}
