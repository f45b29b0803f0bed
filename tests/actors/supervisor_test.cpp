// Deterministic supervisor tests: CAF's test scheduler drives time, so
// back-off delays are checked exactly and nothing sleeps.

#include <catch2/catch.hpp>

#include "caf/all.hpp"
#include "caf/scheduler/test_coordinator.hpp"

#include "actors/handlers.hpp"
#include "actors/supervisor.hpp"

using namespace std::chrono_literals;

namespace {

struct probe_state {
  static inline const char* name = "test.probe";
};

/// A child that counts its starts and throws when told to crash.
using stop_log = std::shared_ptr<std::vector<std::string>>;

caf::behavior probe(caf::stateful_actor<probe_state>* self,
                    std::shared_ptr<std::atomic<int>> starts,
                    std::string name, stop_log stops) {
  fluxd::install_handlers(self, fluxd::log::logger{"probe"});
  starts->fetch_add(1);
  if (stops)
    self->attach_functor([=] { stops->push_back(name); });
  return {
    [=](caf::ok_atom) { self->quit(); },
    [=](fluxd::crash_atom) -> int {
      throw std::runtime_error("probe asked to crash");
    },
    [=](caf::get_atom) { return 42; },
  };
}

struct fixture {
  fixture() : sys(make_config()), sched(dynamic_cast<caf::scheduler::test_coordinator&>(
                                  sys.scheduler())) {
    fluxd::log::set_sink([this](std::string_view line) {
      std::lock_guard<std::mutex> g{mtx};
      lines.emplace_back(line);
    });
  }
  ~fixture() {
    fluxd::log::set_sink(nullptr);
  }

  static caf::actor_system_config& make_config() {
    static caf::actor_system_config cfg;
    static bool once = [] {
      cfg.set("scheduler.policy", caf::atom("testing"));
      cfg.add_error_category(caf::atom("fluxd"), fluxd::render_errc);
      return true;
    }();
    (void) once;
    return cfg;
  }

  fluxd::child_spec probe_spec(const std::string& name,
                               std::shared_ptr<std::atomic<int>> starts,
                               fluxd::restart_mode mode
                               = fluxd::restart_mode::permanent,
                               stop_log stops = nullptr) {
    fluxd::child_spec spec;
    spec.name = name;
    spec.mode = mode;
    spec.start = [starts, name, stops](caf::local_actor* parent) {
      return parent->spawn(probe, starts, name, stops);
    };
    return spec;
  }

  caf::actor child_of(const caf::actor& sup, const std::string& name) {
    caf::actor out;
    auto rh = self->request(sup, caf::infinite, caf::get_atom_v, name);
    sched.run();
    rh.receive([&](caf::actor& a) { out = a; },
               [&](caf::error&) { out = nullptr; });
    return out;
  }

  std::vector<fluxd::child_status> children(const caf::actor& sup) {
    std::vector<fluxd::child_status> out;
    auto rh = self->request(sup, caf::infinite, fluxd::children_atom_v);
    sched.run();
    rh.receive([&](std::vector<fluxd::child_status>& xs) { out = xs; },
               [&](caf::error& e) { FAIL(sys.render(e)); });
    return out;
  }

  bool logged(const std::string& needle) {
    std::lock_guard<std::mutex> g{mtx};
    for (auto& l : lines)
      if (l.find(needle) != std::string::npos)
        return true;
    return false;
  }

  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::scoped_actor self{sys, true};
  std::mutex mtx;
  std::vector<std::string> lines;
};

fluxd::supervisor_config config_with(std::vector<fluxd::child_spec> kids) {
  fluxd::supervisor_config cfg;
  cfg.name = "test";
  cfg.policy.initial_backoff = 100ms;
  cfg.policy.max_backoff = 1s;
  cfg.policy.max_restarts = 3;
  cfg.policy.window = 60s;
  cfg.children = std::move(kids);
  return cfg;
}

} // namespace

TEST_CASE_METHOD(fixture, "supervisor starts its children in order") {
  auto a = std::make_shared<std::atomic<int>>(0);
  auto b = std::make_shared<std::atomic<int>>(0);
  auto sup = sys.spawn(fluxd::supervisor,
                       config_with({probe_spec("a", a), probe_spec("b", b)}));
  sched.run();
  CHECK(a->load() == 1);
  CHECK(b->load() == 1);
  auto kids = children(sup);
  REQUIRE(kids.size() == 2);
  CHECK(kids[0].name == "a");
  CHECK(kids[1].running);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_METHOD(fixture, "a child that throws is restarted after back-off") {
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto sup = sys.spawn(fluxd::supervisor,
                       config_with({probe_spec("worker", starts)}));
  sched.run();
  auto first = child_of(sup, "worker");
  REQUIRE(first);
  caf::anon_send(first, fluxd::crash_atom_v);
  sched.run();
  CHECK(logged("actor crashed with an exception"));
  CHECK(logged("probe asked to crash"));
  // Not yet: the first restart waits initial_backoff.
  CHECK(starts->load() == 1);
  CHECK_FALSE(child_of(sup, "worker"));
  sched.advance_time(99ms);
  sched.run();
  CHECK(starts->load() == 1);
  sched.advance_time(1ms);
  sched.run();
  CHECK(starts->load() == 2);
  auto second = child_of(sup, "worker");
  REQUIRE(second);
  CHECK(second != first);

  // The second crash within the window doubles the back-off.
  caf::anon_send(second, fluxd::crash_atom_v);
  sched.run();
  sched.advance_time(199ms);
  sched.run();
  CHECK(starts->load() == 2);
  sched.advance_time(1ms);
  sched.run();
  CHECK(starts->load() == 3);
  CHECK(children(sup)[0].restarts == 2);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_METHOD(fixture, "a child that crashes too often escalates") {
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto sup = sys.spawn(fluxd::supervisor,
                       config_with({probe_spec("flaky", starts)}));
  sched.run();
  caf::error sup_reason;
  self->monitor(sup);
  for (int i = 0; i < 4; ++i) {
    auto child = child_of(sup, "flaky");
    REQUIRE(child);
    caf::anon_send(child, fluxd::crash_atom_v);
    sched.run();
    sched.advance_time(10s);
    sched.run();
    if (i == 3)
      break;
  }
  // Fourth crash in the window with max_restarts = 3: the supervisor quits.
  self->receive([&](caf::down_msg& msg) { sup_reason = msg.reason; });
  CHECK(sup_reason == caf::make_error(fluxd::errc::restart_intensity,
                                      std::string{"test/flaky"}));
  CHECK(logged("escalating"));
  CHECK(starts->load() == 4);
}

TEST_CASE_METHOD(fixture, "transient and temporary children") {
  auto t = std::make_shared<std::atomic<int>>(0);
  auto once = std::make_shared<std::atomic<int>>(0);
  auto sup = sys.spawn(
    fluxd::supervisor,
    config_with({probe_spec("transient", t, fluxd::restart_mode::transient),
                 probe_spec("temporary", once,
                            fluxd::restart_mode::temporary)}));
  sched.run();
  // A transient child is restarted after an abnormal exit ...
  caf::anon_send(child_of(sup, "transient"), fluxd::crash_atom_v);
  sched.run();
  sched.advance_time(100ms);
  sched.run();
  CHECK(t->load() == 2);
  // ... but stays down after a normal one.
  caf::anon_send(child_of(sup, "transient"), caf::ok_atom_v);
  sched.run();
  sched.advance_time(10s);
  sched.run();
  CHECK(t->load() == 2);
  CHECK_FALSE(children(sup)[0].running);
  // A temporary child is never restarted.
  caf::anon_send(child_of(sup, "temporary"), fluxd::crash_atom_v);
  sched.run();
  sched.advance_time(10s);
  sched.run();
  CHECK(once->load() == 1);
  CHECK_FALSE(children(sup)[1].running);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sched.run();
}

TEST_CASE_METHOD(fixture, "shutdown stops children last-started first") {
  auto stops = std::make_shared<std::vector<std::string>>();
  auto a = std::make_shared<std::atomic<int>>(0);
  auto inner_cfg = config_with(
    {probe_spec("leaf1", a, fluxd::restart_mode::permanent, stops),
     probe_spec("leaf2", a, fluxd::restart_mode::permanent, stops)});
  inner_cfg.name = "inner";
  fluxd::child_spec inner;
  inner.name = "inner";
  inner.start = [inner_cfg](caf::local_actor* parent) {
    return parent->spawn(fluxd::supervisor, inner_cfg);
  };
  auto b = std::make_shared<std::atomic<int>>(0);
  auto sup = sys.spawn(
    fluxd::supervisor,
    config_with({inner, probe_spec("last", b, fluxd::restart_mode::permanent,
                                   stops)}));
  sched.run();
  self->monitor(sup);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  sched.run();
  caf::error reason;
  self->receive([&](caf::down_msg& msg) { reason = msg.reason; },
                caf::after(std::chrono::seconds(0)) >> [&] {
                  FAIL("supervisor did not stop");
                });
  CHECK(reason == caf::exit_reason::user_shutdown);
  CHECK(*stops == std::vector<std::string>{"last", "leaf2", "leaf1"});
  // Nothing was restarted on the way down.
  CHECK(a->load() == 2);
  CHECK(b->load() == 1);
}

TEST_CASE_METHOD(fixture, "a killed child is restarted; a killed supervisor "
                          "takes its children with it") {
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto sup = sys.spawn(fluxd::supervisor,
                       config_with({probe_spec("victim", starts)}));
  sched.run();
  auto first = child_of(sup, "victim");
  REQUIRE(first);
  // exit_reason::kill cannot be trapped; it must not spread to the parent.
  caf::anon_send_exit(first, caf::exit_reason::kill);
  sched.run();
  sched.advance_time(100ms);
  sched.run();
  CHECK(starts->load() == 2);
  auto second = child_of(sup, "victim");
  REQUIRE(second);
  self->monitor(second);
  caf::anon_send_exit(sup, caf::exit_reason::kill);
  sched.run();
  caf::error reason;
  self->receive([&](caf::down_msg& msg) { reason = msg.reason; },
                caf::after(std::chrono::seconds(0)) >> [&] {
                  FAIL("the child outlived its supervisor");
                });
  CHECK(reason == caf::exit_reason::kill);
}
