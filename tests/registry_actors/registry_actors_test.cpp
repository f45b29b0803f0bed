#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "caf/all.hpp"

#include "adapters/metrics/registry.hpp"
#include "tests/registry_actors/harness.hpp"
#include "tests/support/registry/proxy.hpp"

using namespace fluxd;
using namespace fluxd::test;
using namespace std::chrono_literals;

TEST_CASE("a cold scan for semver-style subscribers lists tags only",
          "[registry][actors]") {
  local_registry reg;
  push_demo(reg.host(), "demo/app");
  registry_proxy proxy{reg.url()};
  temp_dir state;
  auto cache = std::make_shared<registry::metadata_cache>(state.path());
  harness h;
  auto host = h.host(proxy.host());
  auto repo = h.repo(host, proxy.host(), "demo/app", cache);
  auto box = std::make_shared<inbox>();
  h.ask<image_repo_actor, repo_snapshot>(repo, watch_repo_atom_v,
                                         h.listen(box), false);
  auto s = h.wait_for(repo, [](auto& s) { return s.scans >= 1; });
  CHECK(s.tags
        == std::vector<std::string>{"multi", "v0.9.0", "v1.0.0", "v1.1.0"});
  CHECK(s.images.empty());
  CHECK(s.last_error.empty());
  CHECK(proxy.count("tags") == 1);
  CHECK(proxy.count("manifest") == 0);
  CHECK(proxy.count("HEAD manifest") == 0);
  CHECK(proxy.count("blob") == 0);
  // The subscriber heard of the change; the cache holds the tags.
  for (int i = 0; i < 500 && box->size() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  REQUIRE(box->size() >= 1);
  CHECK(box->got.back().tags.size() == 4);
  REQUIRE(cache->load(proxy.host() + "/demo/app"));
  CHECK(cache->load(proxy.host() + "/demo/app")->tags.size() == 4);
  // Metrics: requests by host, kind and status; Flux v1's fetch histogram.
  auto text = metrics::default_registry().expose();
  CHECK_THAT(text, Catch::Contains("fluxd_registry_requests_total{host=\""
                                   + proxy.host()
                                   + "\",kind=\"tags\",status=\"200\"} 1"));
  CHECK_THAT(text, Catch::Contains("flux_client_fetch_duration_seconds_count{"
                                   "kind=\"tags\",success=\"true\"} 1"));
  CHECK_THAT(text, !Catch::Contains("kind=\"manifest\""));
}

TEST_CASE("repositories of one host scanned at once ping it once",
          "[registry][actors]") {
  local_registry reg;
  push_demo(reg.host(), "demo/app");
  push_demo(reg.host(), "demo/other");
  push_demo(reg.host(), "demo/third");
  registry_proxy proxy{reg.url()};
  temp_dir state;
  auto cache = std::make_shared<registry::metadata_cache>(state.path());
  harness h;
  auto host = h.host(proxy.host());
  std::vector<image_repo_actor> repos;
  for (auto name : {"demo/app", "demo/other", "demo/third"})
    repos.push_back(h.repo(host, proxy.host(), name, cache));
  auto box = std::make_shared<inbox>();
  for (auto& repo : repos)
    h.ask<image_repo_actor, repo_snapshot>(repo, watch_repo_atom_v,
                                           h.listen(box), false);
  for (auto& repo : repos)
    h.wait_for(repo, [](auto& s) { return s.scans >= 1; });
  CHECK(proxy.count("tags") == 3);
  // Concurrent fetchers share one ping of the host (single flight).
  CHECK(proxy.count("ping") == 1);
}

TEST_CASE("a warm restart fetches metadata only for new tags",
          "[registry][actors]") {
  local_registry reg;
  push_demo(reg.host(), "demo/app");
  registry_proxy proxy{reg.url()};
  temp_dir state;
  const auto canonical = proxy.host() + "/demo/app";
  {
    auto cache = std::make_shared<registry::metadata_cache>(state.path());
    harness h;
    auto host = h.host(proxy.host());
    auto repo = h.repo(host, proxy.host(), "demo/app", cache);
    h.ask<image_repo_actor, repo_snapshot>(
      repo, watch_repo_atom_v, h.listen(std::make_shared<inbox>()), true);
    auto s = h.wait_for(repo, [](auto& s) {
      return s.scans >= 1 && s.images.size() == 4;
    });
    REQUIRE(s.images.size() == 4);
    CHECK(created_text(*find_meta(s, "v1.0.0")) == demo_v100);
    CHECK(created_text(*find_meta(s, "v1.1.0")) == demo_v110);
    CHECK(created_text(*find_meta(s, "multi")) == demo_multi_amd64);
    // multi: index + amd64 manifest; three single images: one each.
    CHECK(proxy.count("manifest") == 5);
    CHECK(proxy.count("blob") == 4);
  }
  push_one(reg.host(), "demo/app", "v2.0.0");
  proxy.reset_counts();
  {
    auto cache = std::make_shared<registry::metadata_cache>(state.path());
    harness h;
    auto host = h.host(proxy.host());
    auto repo = h.repo(host, proxy.host(), "demo/app", cache);
    auto first = h.ask<image_repo_actor, repo_snapshot>(
      repo, watch_repo_atom_v, h.listen(std::make_shared<inbox>()), true);
    CHECK(first.images.size() == 4); // served from disk before any request
    auto s = h.wait_for(repo, [](auto& s) {
      return s.scans >= 1 && s.images.size() == 5;
    });
    CHECK(s.images.size() == 5);
    CHECK(proxy.count("tags") == 1);
    CHECK(proxy.count("manifest") == 1); // v2.0.0 only
    CHECK(proxy.count("blob") == 1);
  }
}

TEST_CASE("a 429 slows only that host, a dead host fails only its repository",
          "[registry][actors]") {
  local_registry reg;
  push_one(reg.host(), "demo/a");
  push_one(reg.host(), "demo/b");
  registry_proxy limited{reg.url(), [](const httplib::Request& req,
                                       httplib::Response& res) {
                           if (req.path == "/v2/")
                             return false;
                           res.status = 429;
                           res.set_header("Retry-After", "30");
                           res.set_content(
                             R"({"errors":[{"code":"TOOMANYREQUESTS"}]})",
                             "application/json");
                           return true;
                         }};
  registry_proxy fine{reg.url()};
  auto dead = "127.0.0.1:" + std::to_string(free_port());
  harness h;
  auto host_a = h.host(limited.host());
  auto host_b = h.host(fine.host());
  auto host_c = h.host(dead);
  auto repo_a = h.repo(host_a, limited.host(), "demo/a", nullptr);
  auto repo_b = h.repo(host_b, fine.host(), "demo/b", nullptr);
  auto repo_c = h.repo(host_c, dead, "demo/c", nullptr);
  auto done = [](auto& s) { return s.scans >= 1; };
  auto a = h.wait_for(repo_a, done);
  auto b = h.wait_for(repo_b, done);
  auto c = h.wait_for(repo_c, done);
  CHECK(a.tags.empty());
  CHECK(a.last_error.find("demo/a") != std::string::npos);
  CHECK(a.last_error.find("429") != std::string::npos);
  CHECK(b.tags == std::vector<std::string>{"v1"});
  CHECK(b.last_error.empty());
  CHECK(c.last_error.find("demo/c") != std::string::npos);

  auto sa = h.status(host_a);
  auto sb = h.status(host_b);
  CHECK(sa.throttled == 1);
  CHECK(sa.paused);
  CHECK(sa.rate == Approx(25));
  CHECK(sb.throttled == 0);
  CHECK_FALSE(sb.paused);
  CHECK(sb.rate == Approx(50));
  CHECK(h.status(host_c).paused);
  auto text = metrics::default_registry().expose();
  CHECK_THAT(text, Catch::Contains("fluxd_registry_backoffs_total{host=\""
                                   + limited.host() + "\"} 1"));
  CHECK_THAT(text, !Catch::Contains("fluxd_registry_backoffs_total{host=\""
                                    + fine.host()));
  CHECK_THAT(text, Catch::Contains("kind=\"tags\",status=\"429\"} 1"));

  // The paused host holds further requests back instead of sending them.
  caf::anon_send(repo_a, rescan_atom_v, true);
  std::this_thread::sleep_for(100ms);
  CHECK(limited.count("tags") == 1);
  CHECK(h.status(host_a).queued == 1);
}

TEST_CASE("releases jump the queue of a busy host", "[registry][actors]") {
  local_registry reg;
  std::mutex mtx;
  std::condition_variable cv;
  bool released = false;
  std::vector<std::string> order;
  registry_proxy proxy{reg.url(), [&](const httplib::Request& req,
                                      httplib::Response&) {
                         if (req.path == "/v2/")
                           return false;
                         std::unique_lock<std::mutex> lock{mtx};
                         order.push_back(req.path);
                         if (req.path.find("/slow/") != std::string::npos)
                           cv.wait_for(lock, 10s, [&] { return released; });
                         return false;
                       }};
  harness h;
  registry_host_config hc;
  hc.client = loopback(proxy.host());
  hc.concurrency = 1;
  auto host = h.sys->spawn(registry_host, hc);
  h.spawned.push_back(caf::actor_cast<caf::actor>(host));
  caf::scoped_actor self{*h.sys};
  auto ask = [&](const std::string& repo, bool priority) {
    return self->request(host, 20s, list_tags_atom_v, repo, priority);
  };
  auto slow = ask("demo/slow", false);
  // Wait until the one fetcher is stuck on demo/slow, then queue more.
  for (int i = 0; i < 500 && h.status(host).in_flight == 0; ++i)
    std::this_thread::sleep_for(10ms);
  auto bg1 = ask("demo/bg1", false);
  auto bg2 = ask("demo/bg2", false);
  auto urgent = ask("demo/urgent", true);
  for (int i = 0; i < 500 && h.status(host).queued < 3; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(h.status(host).queued == 3);
  {
    std::lock_guard<std::mutex> g{mtx};
    released = true;
  }
  cv.notify_all();
  int errors = 0;
  for (auto* rh : {&slow, &bg1, &bg2, &urgent})
    rh->receive([](std::vector<std::string>&) {},
                [&](caf::error& e) {
                  // Unknown repositories: NAME_UNKNOWN, named in the error.
                  CHECK(e == caf::error{registry_errc::not_found});
                  ++errors;
                });
  CHECK(errors == 4);
  std::lock_guard<std::mutex> g{mtx};
  CHECK(order
        == std::vector<std::string>{"/v2/demo/slow/tags/list",
                                    "/v2/demo/urgent/tags/list",
                                    "/v2/demo/bg1/tags/list",
                                    "/v2/demo/bg2/tags/list"});
}

TEST_CASE("registry messages survive serialization", "[registry][actors]") {
  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::fluxd_registry>();
  cfg.add_error_category(caf::atom("registry"), render_registry_error);
  caf::actor_system sys{cfg};
  repo_snapshot s;
  s.repository = "index.docker.io/library/alpine";
  s.tags = {"3.18", "3.19"};
  image_meta m;
  m.tag = "3.19";
  m.digest = registry::sha256_digest("x");
  m.created = caf::timestamp{caf::timespan{1700000000123456789}};
  m.labels = {{"a", "b"}};
  s.images = {m};
  s.last_error = "none";
  s.version = 7;
  s.scans = 3;
  fetch_result r;
  r.tags = s.tags;
  r.meta = m;
  r.error = caf::error{registry_errc::rate_limited};
  r.signals = {response_signal{429, 0, 60, 17}};
  host_status hs{"h", 2.5, true, 1, 2, 3, 4, 5};
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(s, r, hs));
  repo_snapshot s2;
  fetch_result r2;
  host_status hs2;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(s2, r2, hs2));
  CHECK(caf::deep_to_string(s2) == caf::deep_to_string(s));
  CHECK(caf::deep_to_string(r2.meta) == caf::deep_to_string(m));
  CHECK(r2.error == r.error);
  CHECK(r2.signals[0].retry_after_s == 17);
  CHECK(hs2.backoffs == 5);
  CHECK(sys.render(caf::error{registry_errc::too_large,
                              std::string{"demo/app: too big"}})
        == "registry: too_large (demo/app: too big)");
}
