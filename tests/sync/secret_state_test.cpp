// --sync-state=secret and --git-readonly end to end, from fluxd's flags:
// repository_children() starts the git mirror and the sync coordinator as
// fluxd does; the sync marker lives in an annotation of the deploy-key
// Secret, no tag is pushed, and a restart reads it back.

#include "tests/sync/sync_fixture.hpp"

#include "caf/actor_cast.hpp"

#include "actors/sync_children.hpp"
#include "adapters/config/daemon_config.hpp"

using namespace fluxd;
using namespace fluxd::test::syncfx;

namespace {

const char* deploy_key_secret =
  "apiVersion: v1\nkind: Secret\nmetadata:\n  name: flux-git-deploy\n"
  "  namespace: default\ntype: Opaque\ndata: {}\n";

/// fluxd's repository children under this test's scoped actor.
struct fluxd_daemon {
  fluxd_daemon(caf::actor_system& sys, const config::daemon_config& flags,
               event_sink_actor events)
    : sys(sys),
      specs(repository_children(flags, [](const git_status&) {}, nullptr,
                                [events] { return events; })),
      parent(sys) {
    for (auto& s : specs)
      children[s.name] = s.start(parent.ptr());
    REQUIRE(children.count("sync") == 1);
    CHECK(children.count("git-writer") == (flags.git_readonly ? 0 : 1));
  }

  ~fluxd_daemon() {
    for (auto& [name, h] : children)
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  }

  /// Stops the sync coordinator and starts it again, as its supervisor
  /// would after a crash.
  void restart_sync() {
    auto old = children["sync"];
    parent->monitor(old);
    caf::anon_send_exit(old, caf::exit_reason::kill);
    parent->receive([](const caf::down_msg&) {});
    for (auto& s : specs)
      if (s.name == "sync")
        children["sync"] = s.start(parent.ptr());
  }

  template <class T, class... Ts>
  std::optional<T> ask(Ts... xs) {
    std::optional<T> out;
    parent->request(caf::actor_cast<sync_actor>(children["sync"]), 10s, xs...)
      .receive([&](T& x) { out = std::move(x); }, [&](caf::error&) {});
    return out;
  }

  caf::actor_system& sys;
  std::vector<child_spec> specs;
  caf::scoped_actor parent;
  std::map<std::string, caf::actor> children;
};

void check_secret_state(bool readonly) {
  SKIP_IF_NO_KUBECTL();
  options o;
  o.coordinator = false; // the one under test comes from the flags
  env e{{{"ns.yaml", namespace_yaml("demo")},
         {"a.yaml", deployment_yaml("demo", "a", "nginx:1")}},
        o};
  REQUIRE(e.create(deploy_key_secret) == 0);

  config::daemon_config flags;
  flags.git_url = e.daemon.url("cfg.git");
  flags.git_readonly = readonly;
  flags.sync_state = readonly ? "git" : "secret"; // read-only implies it
  flags.kube_config = e.emulator.kubeconfig();
  flags.state_dir = e.dir.file("state");
  flags.git_poll_interval = 500ms;
  flags.sync_interval = 1min;
  flags.sync_timeout = 5s;
  auto hwm = [&] {
    return e.get("secret/flux-git-deploy", "default",
                 "{.metadata.annotations.flux\\.weave\\.works/sync-hwm}");
  };
  auto tags = [&] { return fx::git({"tag", "-l"}, e.up.bare); };
  auto synced = [&](fluxd_daemon& d, const std::string& rev) {
    return eventually(
      [&] {
        auto r = d.ask<sync_result>(sync_result_atom_v, rev);
        return r && r->success;
      },
      20s);
  };

  auto first = e.up.head();
  std::string second;
  {
    fluxd_daemon d{*e.sys, flags, caf::actor_cast<event_sink_actor>(e.sink)};
    REQUIRE(synced(d, first));
    CHECK(eventually([&] { return hwm() == first; }));
    CHECK(e.exists("deployment/a", "demo"));
    second = e.up.commit({{"a.yaml", deployment_yaml("demo", "a", "nginx:2")}},
                         "nginx 2");
    REQUIRE(synced(d, second));
    CHECK(eventually([&] { return hwm() == second; }));
    CHECK(trim(tags()).empty());
    REQUIRE(eventually([&] { return e.events->of_type("sync").size() == 2; }));
    auto ev = e.events->of_type("sync").at(1);
    CHECK(!ev.at("metadata").as_object().contains("initialSync"));

    // Restarted, the coordinator knows where it was from the Secret.
    d.restart_sync();
    CHECK(eventually([&] {
      auto s = d.ask<sync_status>(sync_status_atom_v);
      return s && s->synced == second;
    }));
    auto writes = e.writes();
    REQUIRE(synced(d, second));
    auto r = d.ask<sync_result>(sync_result_atom_v, second);
    REQUIRE(r);
    CHECK(r->applied == 0);
    CHECK(e.writes() == writes);
    std::this_thread::sleep_for(300ms); // an event would follow at once
    CHECK(e.events->of_type("sync").size() == 2); // no commits: no event
  }
  CHECK(hwm() == second);
  CHECK(trim(tags()).empty());
}

} // namespace

TEST_CASE("read-only git (--git-readonly) keeps the sync marker in the "
          "Secret: no tag is pushed - a restart reads it back") {
  check_secret_state(true);
}

TEST_CASE("sync state in the Secret (--sync-state=secret): no tag is pushed "
          "though git is writable - a restart reads it back") {
  check_secret_state(false);
}
