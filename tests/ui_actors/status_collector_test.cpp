#include <catch2/catch.hpp>

#include <algorithm>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/send.hpp"

#include "actors/git_mirror.hpp"
#include "actors/status_collector.hpp"
#include "actors/supervisor.hpp"
#include "tests/adapters/git/fixtures.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd;
namespace fx = fluxd::test::gitfx;
using namespace std::chrono_literals;

namespace {

/// An actor system driven by hand: time moves only when the test says so.
struct deterministic {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;

  deterministic() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.add_message_types<caf::id_block::fluxd_core>();
    cfg.add_message_types<caf::id_block::fluxd_git>();
    cfg.add_error_category(caf::atom("git"), render_git_error);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }
  ~deterministic() { sched->run(); }
};

/// fluxd's tree in small: a root with a "repositories" area holding the
/// git mirror, as main/ builds it.
caf::actor spawn_tree(deterministic& d, git_mirror_config mirror) {
  child_spec m;
  m.name = "git-mirror";
  m.start = [mirror](caf::local_actor* parent) {
    return caf::actor_cast<caf::actor>(parent->spawn(git_mirror, mirror));
  };
  child_spec area;
  area.name = "repositories";
  area.start = [m](caf::local_actor* parent) {
    supervisor_config cfg;
    cfg.name = "repositories";
    cfg.children = {m};
    return parent->spawn(supervisor, cfg);
  };
  supervisor_config root;
  root.name = "root";
  root.children = {area};
  return d.sys->spawn(supervisor, root);
}

std::vector<ui::event_kind> kinds(const ui::status_snapshot& s) {
  std::vector<ui::event_kind> out;
  for (auto& e : s.events)
    out.push_back(e.kind);
  return out;
}

} // namespace

TEST_CASE("the collector shows the repository, new heads and errors") {
  fluxd::test::temp_dir dir;
  fx::upstream up{dir.path(), "cfg", {{"deploy/a.yaml", "a\n"}}};
  deterministic d;
  git_mirror_config mc;
  mc.remote.url = up.file_url();
  mc.branch = "master";
  mc.mirror_dir = dir.path() + "/mirror";
  mc.poll_interval = 1min;
  auto root = spawn_tree(d, mc);
  d.sched->run();

  auto store = std::make_shared<ui::status_store>();
  status_collector_config cfg;
  cfg.root = root;
  cfg.repository.url = up.file_url();
  cfg.repository.branch = "master";
  cfg.store = store;
  cfg.interval = 5s;
  auto collector = d.sys->spawn(status_collector, cfg);
  d.sched->run();

  auto s = store->snapshot();
  REQUIRE(s.repositories.size() == 1);
  CHECK(s.repositories[0].status == "ready");
  CHECK(s.repositories[0].revision == up.head());
  CHECK(s.repositories[0].sync_marker.empty()); // nothing synced yet
  CHECK(s.repositories[0].branch == "master");
  CHECK(kinds(s) == std::vector<ui::event_kind>{ui::event_kind::commit});

  // A new head, fetched by the mirror's poll, shows at the next round.
  auto second = up.commit({{"deploy/b.yaml", "b\n"}}, "b");
  d.sched->advance_time(1min);
  d.sched->run();
  d.sched->advance_time(5s); // the collector's next round, after the fetch
  d.sched->run();
  s = store->snapshot();
  CHECK(s.repositories[0].revision == second);
  REQUIRE(s.events.size() == 2);
  CHECK(s.events[0].text == "New head " + second.substr(0, 7) + " on master");

  // Nothing changed: no new event however often it asks.
  d.sched->advance_time(5s);
  d.sched->run();
  CHECK(store->snapshot().events.size() == 2);

  caf::anon_send_exit(collector, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  d.sched->run();
}

TEST_CASE("without a git mirror the repository is shown unavailable") {
  deterministic d;
  supervisor_config root_cfg;
  root_cfg.name = "root";
  auto root = d.sys->spawn(supervisor, root_cfg);
  auto store = std::make_shared<ui::status_store>();
  status_collector_config cfg;
  cfg.root = root;
  cfg.repository.url = "https://github.com/acme/cluster";
  cfg.store = store;
  auto collector = d.sys->spawn(status_collector, cfg);
  d.sched->run();
  auto s = store->snapshot();
  REQUIRE(s.repositories.size() == 1);
  CHECK(s.repositories[0].status == "unavailable");
  CHECK(s.events.empty());
  caf::anon_send_exit(collector, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  d.sched->run();
}

TEST_CASE("the store keeps the newest events, newest first") {
  ui::status_store store{2};
  store.record({{}, ui::event_kind::sync, "one"});
  store.record({{}, ui::event_kind::commit, "two"});
  store.record({{}, ui::event_kind::failure, "three"});
  auto s = store.snapshot();
  REQUIRE(s.events.size() == 2);
  CHECK(s.events[0].text == "three");
  CHECK(s.events[1].text == "two");
}

TEST_CASE("the store says registry hosts are unavailable until it has them") {
  ui::status_store store;
  auto unavailable = [&] {
    auto s = store.snapshot();
    return std::find(s.unavailable.begin(), s.unavailable.end(),
                     "registry_hosts")
           != s.unavailable.end();
  };
  CHECK(unavailable());
  store.set_registry_hosts(std::vector<ui::registry_host_status>{});
  CHECK_FALSE(unavailable()); // a scanner with no hosts yet: an empty table
  ui::registry_host_status h;
  h.host = "ghcr.io";
  store.set_registry_hosts(std::vector<ui::registry_host_status>{h});
  REQUIRE(store.snapshot().registry_hosts.size() == 1);
  CHECK(store.snapshot().registry_hosts[0].host == "ghcr.io");
  store.set_registry_hosts(std::nullopt); // the scanner went away
  CHECK(unavailable());
  CHECK(store.snapshot().registry_hosts.empty());
}
