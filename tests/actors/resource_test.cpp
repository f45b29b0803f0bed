// Deterministic tests of a resource actor: CAF's test scheduler drives
// time, so back-off delays are checked exactly and nothing sleeps. The
// kube worker is a scripted stand-in speaking kube_worker_actor's protocol
// (the real one against the emulator is covered by tests/sync).

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "caf/all.hpp"
#include "caf/scheduler/test_coordinator.hpp"

#include "actors/handlers.hpp"
#include "actors/resource_actor.hpp"

using namespace std::chrono_literals;

namespace {

/// What the stand-in worker does and saw.
struct script {
  int gets = 0;
  int applies = 0;
  int fail_applies = 0; ///< this many applies fail with an API error
  bool hold = false;    ///< keep applies unanswered until ok_atom
  std::vector<std::string> applied; ///< objects sent to apply
  std::string stored; ///< the apply's answer; "" for a bare resourceVersion
  std::vector<caf::typed_response_promise<std::string>> held;
};

/// The worker's protocol plus ok_atom: answer the held applies (promises
/// are delivered from the worker's own context).
using test_worker =
  fluxd::kube_worker_actor::extend<caf::reacts_to<caf::ok_atom>>;

struct worker_state {
  static inline const char* name = "test.kube_worker";
};

test_worker::behavior_type
fake_worker(test_worker::stateful_pointer<worker_state> self,
            std::shared_ptr<script> s) {
  using namespace fluxd;
  return {
    [=](caf::ok_atom) {
      for (auto& p : s->held)
        p.deliver(std::string{R"({"metadata":{"resourceVersion":"2"}})"});
      s->held.clear();
    },
    [=](kube_get_atom, const std::string&, const std::string&,
        const std::string&, const std::string&) -> std::string {
      ++s->gets;
      return ""; // absent
    },
    [=](kube_apply_atom, const std::string&, const std::string&,
        const std::string&, const std::string&,
        const std::string& object) -> caf::result<std::string> {
      ++s->applies;
      s->applied.push_back(object);
      if (s->fail_applies > 0) {
        --s->fail_applies;
        return caf::make_error(sync_errc::api, std::string{"refused"});
      }
      if (s->hold) {
        auto rp = self->make_response_promise<std::string>();
        s->held.push_back(rp);
        return rp;
      }
      if (!s->stored.empty())
        return s->stored;
      return std::string{R"({"metadata":{"resourceVersion":"1"}})"};
    },
    [=](kube_delete_atom, const marked_ref&, bool) -> caf::result<bool> {
      return caf::make_error(sync_errc::other, std::string{"not here"});
    },
    [=](kube_prepare_atom,
        const git_files&) -> caf::result<prepared_set> {
      return caf::make_error(sync_errc::other, std::string{"not here"});
    },
    [=](gc_scan_atom) -> caf::result<std::vector<marked_ref>> {
      return caf::make_error(sync_errc::other, std::string{"not here"});
    },
    [=](secret_marker_atom,
        const std::string&) -> caf::result<std::string> {
      return caf::make_error(sync_errc::other, std::string{"not here"});
    },
  };
}

fluxd::desired_state desired(const std::string& checksum) {
  fluxd::desired_state d;
  d.id = "demo:configmap/a";
  d.api_version = "v1";
  d.kind = "ConfigMap";
  d.ns = "demo";
  d.name = "a";
  d.checksum = checksum;
  d.object = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a",)"
             R"("namespace":"demo"},"data":{"v":")"
             + checksum + R"("}})";
  return d;
}

struct fixture {
  fixture()
    : sys(make_config()),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    s = std::make_shared<script>();
    worker = sys.spawn(fake_worker, s);
    fluxd::resource_config rc;
    rc.id = "demo:configmap/a";
    rc.worker = caf::actor_cast<fluxd::kube_worker_actor>(worker);
    rc.retry_initial = 1s;
    rc.retry_max = 8s;
    rc.request_timeout = 60s;
    res = sys.spawn(fluxd::resource, rc);
    sched.run();
  }

  ~fixture() {
    caf::anon_send_exit(res, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    sched.run();
  }

  static caf::actor_system_config& make_config() {
    static caf::actor_system_config cfg;
    static bool once = [] {
      cfg.set("scheduler.policy", caf::atom("testing"));
      cfg.add_error_category(caf::atom("sync"), fluxd::render_sync_error);
      return true;
    }();
    (void) once;
    return cfg;
  }

  using handle = decltype(std::declval<caf::scoped_actor&>()->request(
    std::declval<fluxd::resource_impl&>(), caf::infinite,
    fluxd::desired_atom_v, std::declval<fluxd::desired_state>()));

  /// The outcome, once the test scheduler has run everything due.
  static std::string outcome(handle& rh) {
    std::string out = "<none>";
    rh.receive([&](fluxd::apply_outcome& o) { out = o.status; },
               [&](caf::error&) { out = "<error>"; });
    return out;
  }

  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::scoped_actor self{sys, true};
  std::shared_ptr<script> s;
  test_worker worker;
  fluxd::resource_impl res;
};

} // namespace

TEST_CASE_METHOD(fixture, "a failing resource is retried with doubling "
                          "back-off up to the maximum - success stops it") {
  s->fail_applies = 100;
  auto rh = self->request(res, caf::infinite, fluxd::desired_atom_v,
                          desired("one"));
  sched.run();
  CHECK(outcome(rh) == "failed");
  CHECK(s->gets == 1);
  REQUIRE(s->applies == 1);
  int n = 1;
  for (auto delay : {1000ms, 2000ms, 4000ms, 8000ms, 8000ms}) {
    INFO("retry after " << delay.count() << "ms");
    sched.advance_time(delay - 1ms);
    sched.run();
    CHECK(s->applies == n);
    sched.advance_time(1ms);
    sched.run();
    CHECK(s->applies == ++n);
  }
  s->fail_applies = 0;
  sched.advance_time(8s);
  sched.run();
  CHECK(s->applies == ++n); // this one succeeds
  sched.advance_time(60s);
  sched.run();
  CHECK(s->applies == n); // and nothing is retried after it
}

TEST_CASE_METHOD(fixture, "a new desired state supersedes one in flight and "
                          "gets the answer of its own apply") {
  s->hold = true;
  auto first = self->request(res, caf::infinite, fluxd::desired_atom_v,
                             desired("one"));
  sched.run();
  REQUIRE(s->applies == 1);
  auto second = self->request(res, caf::infinite, fluxd::desired_atom_v,
                              desired("two"));
  sched.run();
  CHECK(outcome(first) == "superseded");
  // The first apply comes back: that is not the second state's answer.
  self->send(worker, caf::ok_atom_v);
  sched.run();
  REQUIRE(s->applies == 2);
  CHECK(s->applied.back().find(R"("v":"two")") != std::string::npos);
  CHECK(self->mailbox().empty()); // no answer for "two" yet
  self->send(worker, caf::ok_atom_v);
  sched.run();
  CHECK(outcome(second) == "applied");
}

TEST_CASE_METHOD(fixture, "a state that fails is retried - a newer state "
                          "resets the back-off") {
  s->fail_applies = 3;
  auto rh = self->request(res, caf::infinite, fluxd::desired_atom_v,
                          desired("one"));
  sched.run();
  CHECK(outcome(rh) == "failed");
  sched.advance_time(1s);
  sched.run();
  CHECK(s->applies == 2); // failed again: next in 2s
  auto next = self->request(res, caf::infinite, fluxd::desired_atom_v,
                            desired("two"));
  sched.run();
  CHECK(outcome(next) == "failed"); // third failure, counted afresh
  CHECK(s->applies == 3);
  sched.advance_time(1s); // 1s again, not 4s
  sched.run();
  CHECK(s->applies == 4);
}

namespace {

/// desired(checksum) as the server stores it: annotated, with a version.
std::string stored(const std::string& checksum, int rv,
                   const std::string& value) {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a",)"
         R"("namespace":"demo","resourceVersion":")"
         + std::to_string(rv) + R"(","annotations":{"fluxcd.io/sync-checksum":")"
         + checksum + R"("}},"data":{"v":")" + value + R"("}})";
}

fluxd::live_event present(const std::string& text) {
  return {"demo:configmap/a", fluxd::live_event::state::present,
          std::make_shared<const boost::json::value>(boost::json::parse(text))};
}

/// The ids of the unsettled messages that reached `self` so far.
std::vector<std::string> unsettled(caf::scoped_actor& self) {
  std::vector<std::string> out;
  bool more = true;
  while (more)
    self->receive([&](fluxd::unsettled_atom, const std::string& id) {
                    out.push_back(id);
                  },
                  caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
  return out;
}

} // namespace

TEST_CASE_METHOD(fixture, "an answered resource tells the coordinator once "
                          "when an event takes it out of sync, not before") {
  fluxd::resource_config rc;
  rc.id = "demo:configmap/a";
  rc.worker = caf::actor_cast<fluxd::kube_worker_actor>(worker);
  rc.coordinator = caf::actor_cast<caf::actor>(self);
  auto r = sys.spawn(fluxd::resource, rc);
  sched.run();
  s->stored = stored("one", 1, "one");
  auto rh = self->request(r, caf::infinite, fluxd::desired_atom_v,
                          desired("one"));
  sched.run();
  REQUIRE(outcome(rh) == "applied");
  // Its own apply's event, then a status-only write: still in sync.
  self->send(r, present(stored("one", 1, "one")));
  self->send(r, present(stored("one", 2, "one")));
  sched.run();
  CHECK(unsettled(self).empty());
  CHECK(s->applies == 1);
  // Drift: said once, and corrected by the actor itself.
  self->send(r, present(stored("one", 3, "changed")));
  sched.run();
  CHECK(unsettled(self) == std::vector<std::string>{"demo:configmap/a"});
  CHECK(s->applies == 2);
  self->send(r, present(stored("one", 4, "changed again")));
  sched.run();
  CHECK(unsettled(self).empty()); // not settled since: nothing to say
  // Asked again, it settles again and says so on the next drift.
  rh = self->request(r, caf::infinite, fluxd::desired_atom_v, desired("one"));
  sched.run();
  CHECK(outcome(rh) == "applied");
  self->send(r, present(stored("one", 6, "drifted")));
  sched.run();
  CHECK(unsettled(self) == std::vector<std::string>{"demo:configmap/a"});
  caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
  sched.run();
}
