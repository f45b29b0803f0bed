#include <catch2/catch.hpp>

#include <future>

#include <boost/json.hpp>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"

#include "actors/notifier.hpp"
#include "actors/supervisor.hpp"
#include "adapters/api/webhooks.hpp"
#include "adapters/notify/metrics.hpp"
#include "adapters/release/job.hpp"
#include "adapters/release/spec.hpp"
#include "tests/notify/receiver.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

/// A sync event for revision `rev` (what the sync coordinator sends).
fluxd_event sync_event(const std::string& rev) {
  json::object o{{"serviceIDs", json::array{"demo:deployment/app"}},
                 {"commits", json::array{json::object{{"revision", rev},
                                                      {"message", "m"}}}}};
  return {"sync", json::serialize(o), caf::make_timestamp()};
}

/// The revision a generic body is about.
std::string revision_of(const test::received& r) {
  auto v = json::parse(r.body);
  return std::string(
      v.at("metadata").at("commits").at(0).at("revision").as_string());
}

std::vector<std::string> revisions(const test::webhook_receiver& rx) {
  std::vector<std::string> out;
  for (auto& r : rx.requests())
    out.push_back(revision_of(r));
  return out;
}

/// Short back-offs so that retries take milliseconds.
notifier_config fast(std::vector<std::string> urls) {
  notifier_config c;
  c.webhooks = std::move(urls);
  c.client.timeout = 5s;
  c.client.connect_timeout = 2s;
  c.retry.initial_backoff = 10ms;
  c.retry.max_backoff = 20ms;
  c.retry.max_attempts = 5;
  return c;
}

/// An actor system and the notifier under test, stopped at scope exit.
struct world {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  event_sink_actor sink;

  explicit world(notifier_config c) {
    cfg.set("scheduler.max-threads", 2);
    cfg.add_message_types<caf::id_block::fluxd_auto>();
    sys = std::make_unique<caf::actor_system>(cfg);
    sink = sys->spawn(notifier, std::move(c));
  }
  ~world() {
    caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
    sink = nullptr;
    sys.reset();
  }
  void send(const fluxd_event& e) { caf::anon_send(sink, e); }
};

double counter(metrics::family<metrics::counter>& f,
               const metrics::label_values& v = {}) {
  return f.with(v).value();
}

/// Polls `pred` for up to 10 s.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred())
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

} // namespace

TEST_CASE("Slack and generic webhooks get their own bodies, signed") {
  test::webhook_receiver slack;
  test::webhook_receiver generic;
  auto cfg = fast({"slack+" + slack.url("/services/T/B/x"), generic.url()});
  cfg.client.secret = "topsecret";
  world w{cfg};
  auto spec = release::parse_spec(
      R"({"type":"image","cause":{"Message":"","User":""},"spec":{
    "ServiceSpecs":["demo:deployment/podinfo"],"ImageSpec":
    "stefanprodan/podinfo:3.1.1","Kind":"execute"}})");
  release::result r;
  r["demo:deployment/podinfo"] = {release::workload_status::success,
                                  "",
                                  {{"podinfod", "stefanprodan/podinfo:3.1.0",
                                    "stefanprodan/podinfo:3.1.1"}}};
  auto note = json::parse(release::note_json("job-7", spec, r));
  note.as_object()["revision"] = "0123456789abcdef0123456789abcdef01234567";
  w.send({"commit", json::serialize(note), caf::make_timestamp()});

  REQUIRE(slack.wait_for(1));
  REQUIRE(generic.wait_for(1));
  auto s = slack.requests().at(0);
  CHECK(s.path == "/services/T/B/x");
  CHECK(json::parse(s.body).at("text")
        == "Commit 0123456: Release stefanprodan/podinfo:3.1.1 to "
           "demo:deployment/podinfo");
  auto g = generic.requests().at(0);
  auto body = json::parse(g.body);
  CHECK(body.at("type") == "commit");
  CHECK(body.at("metadata").at("revision")
        == "0123456789abcdef0123456789abcdef01234567");
  CHECK(body.at("metadata").at("jobID") == "job-7");
  for (auto& got : {s, g}) {
    CHECK(got.header("X-Signature")
          == "sha256=" + api::hmac_sha256_hex("topsecret", got.body));
    CHECK(got.header("X-Fluxd-Event") == "commit");
    CHECK(got.header("User-Agent").rfind("fluxd/", 0) == 0);
  }
}

TEST_CASE("a webhook that fails twice gets the event exactly once") {
  test::webhook_receiver rx;
  rx.script({{500, {}}, {503, {}}});
  auto& m = notify::standard_metrics();
  double delivered = counter(m.deliveries, {"delivered"});
  double retried = counter(m.retries);
  world w{fast({rx.url()})};
  w.send(sync_event("r1"));
  w.send(sync_event("r2"));
  REQUIRE(rx.wait_for(4));
  auto got = rx.requests();
  CHECK(revisions(rx) == std::vector<std::string>{"r1", "r1", "r1", "r2"});
  // One delivery, retried with the same ID; the receiver can tell.
  CHECK(got[0].header("X-Fluxd-Delivery") == got[2].header("X-Fluxd-Delivery"));
  CHECK(got[2].header("X-Fluxd-Delivery") != got[3].header("X-Fluxd-Delivery"));
  CHECK(eventually(
      [&] { return counter(m.deliveries, {"delivered"}) == delivered + 2; }));
  CHECK(counter(m.retries) == retried + 2);
  CHECK(rx.requests().size() == 4); // nothing sent twice after success
}

TEST_CASE("events reach a webhook in the order they came") {
  test::webhook_receiver rx;
  rx.script({{500, {}}, {200, {}}, {502, {}}});
  world w{fast({rx.url()})};
  std::vector<std::string> sent;
  for (int i = 1; i <= 6; ++i) {
    sent.push_back("r" + std::to_string(i));
    w.send(sync_event(sent.back()));
  }
  REQUIRE(rx.wait_for(8));
  CHECK(revisions(rx)
        == std::vector<std::string>{"r1", "r1", "r2", "r2", "r3", "r4", "r5",
                                    "r6"});
}

TEST_CASE("Retry-After is honoured where a plain back-off is not") {
  test::webhook_receiver patient; // asks for 30 s
  test::webhook_receiver plain;   // a 503 without Retry-After
  patient.script({{429, {{"Retry-After", "30"}}}});
  plain.script({{503, {}}, {503, {}}, {503, {}}});
  auto cfg = fast({patient.url(), plain.url()});
  cfg.retry.multiplier = 1; // 10 ms between attempts
  world w{cfg};
  w.send(sync_event("r1"));
  // Three attempts on the plain webhook take at least two back-offs; the
  // patient one, without Retry-After, would have tried again by then.
  REQUIRE(plain.wait_for(3));
  CHECK(patient.requests().size() == 1);
}

TEST_CASE("a full queue drops the oldest event and counts it") {
  test::webhook_receiver rx;
  rx.script({{503, {}}});
  auto cfg = fast({rx.url()});
  cfg.retry.initial_backoff = 1s; // r1 waits while the others arrive
  cfg.retry.max_backoff = 1s;
  cfg.retry.max_queue = 2;
  auto& m = notify::standard_metrics();
  double dropped = counter(m.dropped);
  world w{cfg};
  w.send(sync_event("r1"));
  REQUIRE(rx.wait_for(1));
  for (auto r : {"r2", "r3", "r4"})
    w.send(sync_event(r));
  // r1 (waiting to be retried) and r2 make way for r3 and r4.
  CHECK(eventually([&] { return counter(m.dropped) == dropped + 2; }));
  REQUIRE(rx.wait_for(3));
  CHECK(revisions(rx) == std::vector<std::string>{"r1", "r3", "r4"});
}

TEST_CASE("a stuck webhook does not hold back another") {
  test::webhook_receiver stuck;
  test::webhook_receiver fine;
  stuck.hold();
  world w{fast({stuck.url(), fine.url()})};
  for (auto r : {"r1", "r2", "r3"})
    w.send(sync_event(r));
  REQUIRE(fine.wait_for(3));
  CHECK(revisions(fine) == std::vector<std::string>{"r1", "r2", "r3"});
  CHECK(stuck.requests().size() == 1);
  stuck.release();
  REQUIRE(stuck.wait_for(3));
  CHECK(revisions(stuck) == std::vector<std::string>{"r1", "r2", "r3"});
}

TEST_CASE("an unreadable event is not sent") {
  test::webhook_receiver rx;
  world w{fast({rx.url()})};
  w.send({"sync", "not json", caf::make_timestamp()});
  w.send(sync_event("r1"));
  REQUIRE(rx.wait_for(1));
  CHECK(revisions(rx) == std::vector<std::string>{"r1"});
}

TEST_CASE("notifier_children: one child with webhooks, none without") {
  config::daemon_config flags;
  CHECK(notifier_children(flags).empty());
  flags.notify_webhook = {"http://127.0.0.1:1/a", "slack+https://x.test/b"};
  auto kids = notifier_children(flags);
  REQUIRE(kids.size() == 1);
  CHECK(kids[0].name == "notifier");
  CHECK(kids[0].mode == restart_mode::permanent);

  test::temp_dir dir;
  flags.notify_webhook_secret_file = dir.file("missing");
  CHECK_THROWS_WITH(notifier_children(flags),
                    Catch::Contains("--notify-webhook-secret-file"));
  test::write_file(dir.file("secret"), "k\n");
  flags.notify_webhook_secret_file = dir.file("secret");
  CHECK(notifier_settings(flags).client.secret == "k");
  flags.notify_webhook = {"ftp://u:SECRET@x/y"};
  CHECK_THROWS_WITH(notifier_children(flags),
                    Catch::Contains("--notify-webhook")
                        && !Catch::Contains("SECRET"));
}

TEST_CASE("the notifier child runs under a supervisor and sends events") {
  test::webhook_receiver rx;
  test::temp_dir dir;
  test::write_file(dir.file("secret"), "k\n");
  config::daemon_config flags;
  flags.notify_webhook = {rx.url()};
  flags.notify_webhook_secret_file = dir.file("secret");
  auto started = std::make_shared<std::promise<event_sink_actor>>();
  auto kids = notifier_children(
      flags, [started](event_sink_actor h) { started->set_value(h); });

  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.add_message_types<caf::id_block::fluxd_auto>();
  caf::actor_system sys{cfg};
  supervisor_config sup;
  sup.name = "notify";
  sup.children = kids;
  auto root = sys.spawn(supervisor, sup);
  auto future = started->get_future();
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  auto sink = future.get();
  caf::anon_send(sink, sync_event("r1"));
  REQUIRE(rx.wait_for(1));
  auto got = rx.requests().at(0);
  CHECK(revision_of(got) == "r1");
  CHECK(got.header("X-Signature")
        == "sha256=" + api::hmac_sha256_hex("k", got.body));
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
}
