// The collector against the real thing: a sync coordinator syncing a git
// daemon's repository into the kube emulator (one resource refused), and a
// registry scanner talking to a docker-registry directly and through a
// proxy that answers 429.

#include <catch2/catch.hpp>

#include <algorithm>

#include "actors/registry_scanner.hpp"
#include "actors/status_collector.hpp"
#include "actors/supervisor.hpp"
#include "tests/adapters/registry/live_fixture.hpp"
#include "tests/support/registry/proxy.hpp"
#include "tests/sync/sync_fixture.hpp"

using namespace fluxd;
using namespace fluxd::test;
using fluxd::test::syncfx::env;
using namespace std::chrono_literals;

namespace {

child_spec existing(std::string name, caf::actor a) {
  child_spec c;
  c.name = std::move(name);
  c.start = [a](caf::local_actor*) { return a; };
  return c;
}

child_spec area(std::string name, std::vector<child_spec> children) {
  child_spec c;
  c.name = name;
  c.start = [name, children](caf::local_actor* parent) {
    supervisor_config cfg;
    cfg.name = name;
    cfg.children = children;
    return parent->spawn(supervisor, cfg);
  };
  return c;
}

/// A subscriber to the image repositories that only has to exist.
repo_listener_actor::behavior_type ignore_snapshots() {
  return {[](const repo_snapshot&) {}};
}

bool has_event(const ui::status_snapshot& s, ui::event_kind kind,
               const std::string& text) {
  return std::any_of(s.events.begin(), s.events.end(), [&](auto& e) {
    return e.kind == kind && e.text.find(text) != std::string::npos;
  });
}

const ui::registry_host_status* host(const ui::status_snapshot& s,
                                     const std::string& name) {
  for (auto& h : s.registry_hosts)
    if (h.host == name)
      return &h;
  return nullptr;
}

} // namespace

TEST_CASE("the collector shows the running sync and the registry hosts") {
  local_registry reg;
  push_one(reg.host(), "demo/app");
  registry_proxy limited{reg.url(), [](const httplib::Request& req,
                                       httplib::Response& res) {
                           if (req.path == "/v2/")
                             return false;
                           res.status = 429;
                           res.set_header("Retry-After", "60");
                           return true;
                         }};
  // A Deployment in a namespace that does not exist: refused by the API.
  env e{{{"a.yaml", syncfx::deployment_yaml("nowhere", "a", "nginx:1")},
         {"b.yaml", syncfx::configmap_yaml("default", "b", "x")}}};
  auto head = e.up.head();
  REQUIRE(e.synced(head).failed == 1);

  registry_scanner_config sc;
  sc.plain_http_hosts = {reg.host(), limited.host()};
  sc.poll_interval = 1h;
  auto scanner = e.sys->spawn(registry_scanner, sc);
  auto listener = e.sys->spawn(ignore_snapshots);
  {
    caf::scoped_actor self{*e.sys};
    for (auto image : {reg.host() + "/demo/app", limited.host() + "/demo/app"})
      self->request(scanner, 10s, watch_repo_atom_v, image,
                    listener, false)
          .receive([](repo_snapshot&) {},
                   [&](caf::error& err) { FAIL(e.sys->render(err)); });
  }
  supervisor_config root_cfg;
  root_cfg.name = "root";
  root_cfg.children = {
      area("registries",
           {existing("registry-scanner", caf::actor_cast<caf::actor>(scanner))}),
      area("repositories",
           {existing("git-mirror", caf::actor_cast<caf::actor>(e.mirror)),
            existing("sync", caf::actor_cast<caf::actor>(e.coordinator))})};
  auto root = e.sys->spawn(supervisor, root_cfg);

  auto store = std::make_shared<ui::status_store>();
  status_collector_config cfg;
  cfg.root = root;
  cfg.repository.url = "git://example/cfg.git";
  cfg.repository.branch = "master";
  cfg.store = store;
  cfg.interval = 100ms;
  auto collector = e.sys->spawn(status_collector, cfg);

  ui::status_snapshot s;
  bool seen = syncfx::eventually(
      [&] {
        s = store->snapshot();
        auto* slow = host(s, limited.host());
        return !s.repositories.empty()
               && s.repositories[0].sync_marker == head
               && s.repositories[0].revision == head
               && !s.repositories[0].sync_errors.empty() && slow
               && slow->backing_off && host(s, reg.host());
      },
      20s);
  INFO(ui::to_json(s));
  REQUIRE(seen);
  auto& repo = s.repositories[0];
  CHECK(repo.revision == head);
  CHECK(repo.syncing.empty());
  REQUIRE(repo.sync_errors.size() == 1);
  CHECK(repo.sync_errors[0].id == "nowhere:deployment/a");
  CHECK(repo.sync_errors[0].file == "a.yaml");
  CHECK_FALSE(repo.sync_errors[0].error.empty());
  // The head comes from the mirror, with its event, whoever answers first.
  CHECK(has_event(s, ui::event_kind::commit, "Fetched " + head.substr(0, 7)));
  CHECK(repo.last_fetch != ui::time_point{});
  CHECK(has_event(s, ui::event_kind::sync, "Synced " + head.substr(0, 7)));
  CHECK(has_event(s, ui::event_kind::failure,
                  "1 resource failed: nowhere:deployment/a"));

  CHECK(std::find(s.unavailable.begin(), s.unavailable.end(),
                  "registry_hosts")
        == s.unavailable.end());
  auto* ok = host(s, reg.host());
  auto* slow = host(s, limited.host());
  CHECK(ok->answering);
  CHECK_FALSE(ok->backing_off);
  CHECK(ok->repositories == 1);
  CHECK(ok->requests_last_minute == 2); // the ping and the tag list
  CHECK(ok->last_error.empty());
  CHECK(slow->backing_off);
  CHECK(slow->backoff_until > std::chrono::system_clock::now() + 30s);
  CHECK_THAT(slow->last_error, Catch::Contains("429"));
  CHECK(slow->last_error_at != ui::time_point{});
  CHECK(has_event(s, ui::event_kind::failure,
                  "Registry " + limited.host() + " backing off"));

  caf::anon_send_exit(collector, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(scanner, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
}
