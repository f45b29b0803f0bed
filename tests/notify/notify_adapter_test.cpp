#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/api/webhooks.hpp"
#include "adapters/notify/delivery_queue.hpp"
#include "adapters/notify/event.hpp"
#include "adapters/notify/webhook.hpp"
#include "adapters/release/job.hpp"
#include "adapters/release/spec.hpp"
#include "tests/notify/receiver.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd;
using namespace fluxd::notify;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

const int64_t at = 1700000000LL * 1000000000LL + 123000000; // .123 s

const char* release_spec = R"({"type":"image","cause":{"Message":"",
  "User":"Jane <jane@example.com>"},"spec":{"ServiceSpecs":
  ["demo:deployment/podinfo"],"ImageSpec":"stefanprodan/podinfo:3.1.1",
  "Kind":"execute","Excludes":null,"Force":false}})";

const char* release_result = R"({"demo:deployment/podinfo":{"Status":
  "success","PerContainer":[{"Container":"podinfod","Current":
  "stefanprodan/podinfo:3.1.0","Target":"stefanprodan/podinfo:3.1.1"}]},
  "demo:deployment/other":{"Status":"skipped","Error":"not included",
  "PerContainer":null}})";

/// What job_queue emits after a commit: the job note, plus the revision.
std::string commit_json(const std::string& revision) {
  auto spec = release::parse_spec(release_spec);
  auto result = release::result_from_json(json::parse(release_result));
  auto note = json::parse(release::note_json("job-1", spec, result));
  if (!revision.empty())
    note.as_object()["revision"] = revision;
  return json::serialize(note);
}

const char* sync_json = R"({"serviceIDs":["demo:deployment/b",
  "demo:deployment/a"],"commits":[{"revision":
  "2222222222222222222222222222222222222222","message":"two\n\nbody"},
  {"revision":"1111111111111111111111111111111111111111","message":"one"}],
  "errors":[{"ID":"demo:deployment/<bad>","Path":"bad.yaml",
  "Error":"apply failed & more"}]})";

json::object parsed(const std::string& body) {
  return json::parse(body).as_object();
}

} // namespace

TEST_CASE("a commit event reads as Flux v1's commit event") {
  auto e = parse_event("commit", commit_json("abcdef0123456789"), at);
  CHECK(e.revision == "abcdef0123456789");
  CHECK(e.service_ids == std::vector<std::string>{"demo:deployment/podinfo"});
  CHECK(e.images == std::vector<std::string>{"stefanprodan/podinfo:3.1.1"});
  CHECK(headline(e)
        == "Commit abcdef0: Release stefanprodan/podinfo:3.1.1"
           " to demo:deployment/podinfo");
  CHECK(event_string(e) == "Commit: abcdef012345, demo:deployment/podinfo");

  auto body = parsed(generic_body(e));
  CHECK(body.at("type") == "commit");
  CHECK(body.at("serviceIDs") == json::array{"demo:deployment/podinfo"});
  CHECK(body.at("startedAt") == "2023-11-14T22:13:20.123Z");
  CHECK(body.at("endedAt") == "2023-11-14T22:13:20.123Z");
  CHECK(body.at("logLevel") == "info");
  auto& m = body.at("metadata").as_object();
  CHECK(m.at("revision") == "abcdef0123456789");
  CHECK(m.at("spec").at("type") == "image");
  CHECK(m.at("result").at("demo:deployment/podinfo").at("Status") == "success");
}

TEST_CASE("a release event has Flux v1's release metadata and text") {
  auto e = parse_event("release", commit_json(""), at);
  CHECK(event_string(e)
        == "Released: stefanprodan/podinfo:3.1.1 to "
           "demo:deployment/podinfo, by Jane "
           "<jane@example.com>");
  auto m = parsed(generic_body(e)).at("metadata").as_object();
  CHECK(m.at("spec").at("Type") == "releaseImageSpecType");
  CHECK(m.at("spec").at("ReleaseImageSpec").at("ImageSpec")
        == "stefanprodan/podinfo:3.1.1");
  CHECK(m.at("cause").at("User") == "Jane <jane@example.com>");
}

TEST_CASE("a sync event lists commits, workloads and errors") {
  auto e = parse_event("sync", sync_json, at);
  CHECK(e.revision == "2222222222222222222222222222222222222222");
  CHECK(e.service_ids
        == std::vector<std::string>{"demo:deployment/a", "demo:deployment/b"});
  CHECK(headline(e) == "Synced 2222222 to the cluster (1 resource failed)");
  CHECK(event_string(e)
        == "Sync: 222222222222, demo:deployment/a, demo:deployment/b");

  auto slack = parsed(slack_body(e));
  CHECK(slack.at("text")
        == "Synced 2222222 to the cluster (1 resource "
           "failed)");
  auto& a = slack.at("attachments").as_array().at(0).as_object();
  CHECK(a.at("color") == "danger");
  std::string text(a.at("text").as_string());
  CHECK(text.find("`2222222` two\n") != std::string::npos);
  CHECK(text.find("demo:deployment/a") != std::string::npos);
  // Slack's escaping of &, < and >.
  CHECK(text.find("demo:deployment/&lt;bad&gt; (bad.yaml): apply failed "
                  "&amp; more")
        != std::string::npos);

  auto body = parsed(generic_body(e));
  CHECK(body.at("metadata").at("errors").as_array().size() == 1);
  CHECK(body.at("metadata").as_object().contains("serviceIDs") == false);
}

TEST_CASE("a whole Flux v1 event passes through") {
  auto text = R"({"id":0,"serviceIDs":["demo:deployment/a"],"type":"sync",
    "startedAt":"2020-03-20T13:53:05.47178071Z",
    "endedAt":"2020-03-20T13:53:06Z","logLevel":"info",
    "metadata":{"commits":[{"revision":"abc","message":"m"}],
      "initialSync":true}})";
  auto e = parse_event("ignored", text, at);
  CHECK(e.type == "sync");
  auto body = parsed(generic_body(e));
  CHECK(body.at("startedAt") == "2020-03-20T13:53:05.47178071Z");
  CHECK(body.at("endedAt") == "2020-03-20T13:53:06Z");
  CHECK(body.at("metadata").at("initialSync") == true);
  CHECK(headline(e) == "Synced abc to the cluster");
  auto slack = parsed(slack_body(e));
  CHECK(slack.at("attachments").at(0).at("color") == "good");
}

TEST_CASE("a broken event is refused with its type named") {
  CHECK_THROWS_WITH(parse_event("sync", "[1]", at),
                    Catch::Contains("event sync"));
  CHECK_THROWS_WITH(parse_event("sync", "{", at), Catch::Contains("not JSON"));
  CHECK_THROWS_WITH(parse_event("sync", R"({"commits":3})", at),
                    Catch::Contains("\"commits\""));
}

TEST_CASE("webhook URLs: format by host or prefix, secrets redacted") {
  auto slack = parse_target("https://hooks.slack.com/services/T0/B1/SECRET");
  CHECK(slack.format == body_format::slack);
  CHECK(slack.port == 443);
  CHECK(slack.redacted == "https://hooks.slack.com/services/***/***/***");

  auto mm = parse_target("slack+http://chat.local:8065/hooks/abc?x=TOKEN");
  CHECK(mm.format == body_format::slack);
  CHECK(mm.url == "http://chat.local:8065/hooks/abc?x=TOKEN");
  CHECK(mm.path == "/hooks/abc?x=TOKEN");
  CHECK(mm.redacted == "http://chat.local:8065/hooks/***?***");

  auto g = parse_target("http://bob:p%40ss@[::1]:9000");
  CHECK(g.format == body_format::generic);
  CHECK(g.host == "::1");
  CHECK(g.port == 9000);
  CHECK(g.path == "/");
  CHECK(g.user == "bob");
  CHECK(g.password == "p@ss");
  CHECK(g.redacted == "http://***@[::1]:9000");

  CHECK_THROWS_AS(parse_target("ftp://host/x"), notify_error);
  CHECK_THROWS_WITH(parse_target("https://u:SECRET@host:99999/x"),
                    !Catch::Contains("SECRET") && Catch::Contains("port"));
  CHECK_THROWS_WITH(parse_target("hooks.slack.com/services/SECRET"),
                    !Catch::Contains("SECRET"));
}

TEST_CASE("the secret file: trailing newlines trimmed, never shown") {
  test::temp_dir dir;
  test::write_file(dir.file("s"), "k3y\n");
  CHECK(read_secret(dir.file("s")) == "k3y");
  test::write_file(dir.file("empty"), "\n");
  CHECK_THROWS_WITH(read_secret(dir.file("empty")), Catch::Contains("empty"));
  CHECK_THROWS_WITH(read_secret(dir.file("missing")),
                    Catch::Contains("missing"));
}

TEST_CASE("retry rules: back-off, Retry-After, attempts, drops") {
  retry_policy p;
  p.max_attempts = 4;
  p.initial_backoff = 100ms;
  p.max_backoff = 350ms;
  p.max_retry_after = 10s;
  p.max_queue = 2;
  delivery_queue q{p};
  CHECK_FALSE(q.push({{"a", "sync", "1"}, {}, 0}));
  CHECK_FALSE(q.push({{"b", "sync", "2"}, {}, 0}));

  attempt_result down; // a network error
  auto d = q.record(down);
  CHECK(d.what == verdict::retry);
  CHECK(d.delay == 100ms);
  CHECK(q.record(down).delay == 200ms);
  attempt_result busy;
  busy.status = 429;
  busy.retry_after = 7s;
  CHECK(q.record(busy).delay == 7s); // honoured: longer than the back-off
  d = q.record(down);                // the fourth attempt: out of attempts
  CHECK(d.what == verdict::gave_up);
  CHECK(d.done.what.id == "a");
  CHECK(d.done.attempts == 4);
  CHECK(q.size() == 1);

  CHECK(q.backoff(3) == 350ms); // capped
  busy.retry_after = std::chrono::hours(5);
  CHECK(q.record(busy).delay == 10s); // Retry-After capped too

  CHECK_FALSE(q.push({{"c", "sync", "3"}, {}, 0}));
  CHECK(q.push({{"d", "sync", "4"}, {}, 0})); // full: "b" dropped
  CHECK(q.dropped() == 1);
  CHECK(q.front().what.id == "c");

  attempt_result no;
  no.outcome = attempt_result::kind::rejected;
  no.status = 404;
  d = q.record(no);
  CHECK(d.what == verdict::gave_up);
  CHECK(d.done.attempts == 1);
  attempt_result ok;
  ok.outcome = attempt_result::kind::delivered;
  CHECK(q.record(ok).what == verdict::delivered);
  CHECK(q.empty());
}

TEST_CASE("answers are classified") {
  CHECK(classify(200) == attempt_result::kind::delivered);
  CHECK(classify(204) == attempt_result::kind::delivered);
  CHECK(classify(429) == attempt_result::kind::retry);
  CHECK(classify(503) == attempt_result::kind::retry);
  CHECK(classify(408) == attempt_result::kind::retry);
  CHECK(classify(404) == attempt_result::kind::rejected);
  CHECK(classify(301) == attempt_result::kind::rejected);
}

TEST_CASE("a POST reaches a real receiver, signed") {
  test::webhook_receiver rx;
  client_options opts;
  opts.secret = "s3cret";
  opts.user_agent = "fluxd/test";
  auto target = parse_target("http://hook:pw@127.0.0.1:"
                             + rx.url().substr(rx.url().rfind(':') + 1));
  webhook_client c{target, opts};
  auto e = parse_event("sync", sync_json, at);
  delivery d{"delivery-1", "sync", render_for(target, e)};
  auto r = c.post(d);
  CHECK(r.outcome == attempt_result::kind::delivered);
  CHECK(r.status == 200);
  auto got = rx.requests();
  REQUIRE(got.size() == 1);
  CHECK(got[0].path == "/hook");
  CHECK(got[0].body == d.body);
  CHECK(got[0].header("Content-Type") == "application/json");
  CHECK(got[0].header("X-Fluxd-Event") == "sync");
  CHECK(got[0].header("X-Fluxd-Delivery") == "delivery-1");
  CHECK(got[0].header("User-Agent") == "fluxd/test");
  CHECK(got[0].header("Authorization") == "Basic aG9vazpwdw==");
  // The receiver's check: HMAC-SHA256 of the exact body under the secret.
  CHECK(got[0].header("X-Signature")
        == "sha256=" + api::hmac_sha256_hex("s3cret", got[0].body));
  CHECK(got[0].header("X-Signature")
        != "sha256=" + api::hmac_sha256_hex("other", got[0].body));
  CHECK(parsed(got[0].body).at("type") == "sync");
}

TEST_CASE("receiver answers: Retry-After read, 4xx rejected, no signature "
          "without a secret") {
  test::webhook_receiver rx;
  rx.script({{503, {{"Retry-After", "3"}}}, {404, {}}});
  webhook_client c{parse_target(rx.url()), {}};
  delivery d{"x", "commit", "{}"};
  auto r = c.post(d);
  CHECK(r.outcome == attempt_result::kind::retry);
  CHECK(r.status == 503);
  REQUIRE(r.retry_after);
  CHECK(*r.retry_after == 3s);
  r = c.post(d);
  CHECK(r.outcome == attempt_result::kind::rejected);
  CHECK(r.error.find("HTTP 404") != std::string::npos);
  REQUIRE(rx.requests().size() == 2);
  CHECK(rx.requests()[0].header("X-Signature").empty());
}

TEST_CASE("a dead receiver is a retry whose error hides the password") {
  auto port = test::refused_port();
  client_options opts;
  opts.connect_timeout = 2s;
  webhook_client c{parse_target("http://u:SECRET@127.0.0.1:"
                                + std::to_string(port) + "/x/TOKEN"),
                   opts};
  auto r = c.post({"x", "sync", "{}"});
  CHECK(r.outcome == attempt_result::kind::retry);
  CHECK(r.status == 0);
  CHECK(r.error.find("SECRET") == std::string::npos);
  CHECK(r.error.find("TOKEN") == std::string::npos);
  CHECK(r.error.find("127.0.0.1") != std::string::npos);
}

TEST_CASE("https: delivered with the receiver's CA, refused without it") {
  test::webhook_receiver rx{true};
  client_options opts;
  opts.ca_bundle = rx.ca_file();
  webhook_client trusted{parse_target(rx.url()), opts};
  CHECK(trusted.post({"x", "sync", "{}"}).outcome
        == attempt_result::kind::delivered);
  webhook_client untrusted{parse_target(rx.url()), {}};
  auto r = untrusted.post({"y", "sync", "{}"});
  CHECK(r.outcome != attempt_result::kind::delivered);
  CHECK(rx.requests().size() == 1);
}
