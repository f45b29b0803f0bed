#include <catch2/catch.hpp>

#include "adapters/registry/client.hpp"
#include "tests/adapters/registry/live_fixture.hpp"
#include "tests/support/registry/proxy.hpp"

using namespace fluxd::registry;
using namespace fluxd::test;

namespace {

bool is_tags(const httplib::Request& req) {
  return req.path.size() > 10
         && req.path.compare(req.path.size() - 10, 10, "/tags/list") == 0;
}

bool under(const httplib::Request& req, const std::string& repo) {
  return req.path.rfind("/v2/" + repo + "/", 0) == 0;
}

} // namespace

TEST_CASE("a 429 is rate_limited with Retry-After and ratelimit headers, "
          "and other repositories carry on", "[registry][live]") {
  local_registry reg;
  push_one(reg.host(), "demo/limited");
  push_one(reg.host(), "demo/fine");
  registry_proxy proxy{reg.url(), [](const httplib::Request& req,
                                     httplib::Response& res) {
                         if (!under(req, "demo/limited"))
                           return false;
                         res.status = 429;
                         res.set_header("Retry-After", "17");
                         res.set_header("RateLimit-Limit", "100;w=21600");
                         res.set_header("RateLimit-Remaining", "0;w=21600");
                         res.set_content(
                           R"({"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]})",
                           "application/json");
                         return true;
                       }};
  std::vector<request_event> events;
  auto opts = loopback(proxy.host());
  opts.observer = [&](const request_event& e) { events.push_back(e); };
  client c{opts};
  auto e = error_of([&] { c.list_tags("demo/limited"); });
  REQUIRE(e);
  CHECK(e->kind() == error_kind::rate_limited);
  CHECK(e->status() == 429);
  CHECK(e->retry_after() == std::chrono::seconds(17));
  CHECK(mentions(*e, "demo/limited"));
  CHECK(mentions(*e, "TOOMANYREQUESTS"));
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().limits.remaining == 0L);
  CHECK(events.back().limits.limit == 100L);
  CHECK(events.back().limits.window == std::chrono::seconds(21600));
  CHECK(c.last_limits().retry_after == std::chrono::seconds(17));
  // The same client goes on with the next repository.
  CHECK(c.list_tags("demo/fine") == std::vector<std::string>{"v1"});
  CHECK(format_rfc3339(c.fetch_image_info("demo/fine", "v1").created)
        == demo_v100);
}

TEST_CASE("a registry that is down is unreachable, naming the repository",
          "[registry][live]") {
  auto port = free_port(); // nothing listens there
  client c{loopback("127.0.0.1:" + std::to_string(port))};
  auto e = error_of([&] { c.list_tags("demo/app"); });
  REQUIRE(e);
  CHECK(e->kind() == error_kind::unreachable);
  CHECK(mentions(*e, "127.0.0.1:" + std::to_string(port)));
  // The ping failed, so later calls try again (and fail the same way).
  auto again = error_of([&] { c.fetch_image_info("demo/app", "v1"); });
  REQUIRE(again);
  CHECK(mentions(*again, "demo/app"));
}

TEST_CASE("garbage JSON, 5xx, and huge tag lists are clear errors",
          "[registry][live]") {
  local_registry reg;
  push_one(reg.host(), "demo/fine");
  registry_proxy proxy{reg.url(), [](const httplib::Request& req,
                                     httplib::Response& res) {
                         if (under(req, "demo/garbage") && is_tags(req)) {
                           res.set_content("{\"name\": \"demo/garbage\", tags",
                                           "application/json");
                           return true;
                         }
                         if (under(req, "demo/wrongshape") && is_tags(req)) {
                           res.set_content(R"({"tags": "v1"})",
                                           "application/json");
                           return true;
                         }
                         if (under(req, "demo/emptytag") && is_tags(req)) {
                           res.set_content(R"({"tags": ["v1", ""]})",
                                           "application/json");
                           return true;
                         }
                         if (under(req, "demo/broken")) {
                           res.status = 503;
                           res.set_content("upstream gone", "text/plain");
                           return true;
                         }
                         if (under(req, "demo/huge") && is_tags(req)) {
                           // 50 MB of tags: must be cut off, not buffered.
                           std::string body = R"({"tags":[)";
                           body.reserve(50u << 20);
                           for (int i = 0; body.size() < (50u << 20); ++i)
                             body += "\"tag-" + std::to_string(i) + "\",";
                           body += "\"end\"]}";
                           res.set_content(body, "application/json");
                           return true;
                         }
                         if (under(req, "demo/many") && is_tags(req)) {
                           std::string body = R"({"tags":["t0")";
                           for (int i = 1; i < 2000; ++i)
                             body += ",\"t" + std::to_string(i) + "\"";
                           res.set_content(body + "]}", "application/json");
                           return true;
                         }
                         return false;
                       }};
  client c{loopback(proxy.host())};
  auto expect = [&](const std::string& repo, error_kind kind) {
    auto e = error_of([&] { c.list_tags(repo); });
    REQUIRE(e);
    CHECK(e->kind() == kind);
    CHECK(mentions(*e, repo));
    // Nothing else stops: the next repository still works.
    CHECK(c.list_tags("demo/fine") == std::vector<std::string>{"v1"});
  };
  expect("demo/garbage", error_kind::bad_response);
  expect("demo/wrongshape", error_kind::bad_response);
  expect("demo/emptytag", error_kind::bad_response);
  expect("demo/broken", error_kind::server_error);
  expect("demo/huge", error_kind::too_large);

  auto few = loopback(proxy.host());
  few.max_tags = 1000;
  client capped{few};
  auto e = error_of([&] { capped.list_tags("demo/many"); });
  REQUIRE(e);
  CHECK(e->kind() == error_kind::too_large);
}

TEST_CASE("a manifest or blob whose digest does not match is rejected",
          "[registry][live]") {
  local_registry reg;
  push_one(reg.host(), "demo/lying");
  push_one(reg.host(), "demo/badblob");
  push_one(reg.host(), "demo/fine");
  const std::string fake = sha256_digest("something else");
  registry_proxy proxy{
    reg.url(), {}, [fake](const httplib::Request& req, httplib::Response& res) {
      if (under(req, "demo/lying")
          && req.path.find("/manifests/") != std::string::npos)
      {
        res.headers.erase("Docker-Content-Digest");
        res.set_header("Docker-Content-Digest", fake);
      }
      if (under(req, "demo/badblob")
          && req.path.find("/blobs/") != std::string::npos)
        res.body += " ";
    }};
  client c{loopback(proxy.host())};
  auto e = error_of([&] { c.fetch_image_info("demo/lying", "v1"); });
  REQUIRE(e);
  CHECK(e->kind() == error_kind::digest_mismatch);
  CHECK(mentions(*e, "demo/lying"));
  CHECK(mentions(*e, fake));
  auto by_digest = error_of([&] { c.get_manifest("demo/fine", fake); });
  REQUIRE(by_digest); // the registry does not know it
  auto blob = error_of([&] { c.fetch_image_info("demo/badblob", "v1"); });
  REQUIRE(blob);
  CHECK(blob->kind() == error_kind::digest_mismatch);
  CHECK(mentions(*blob, "demo/badblob"));
  CHECK(c.fetch_image_info("demo/fine", "v1").digest.size() == 71);
}
