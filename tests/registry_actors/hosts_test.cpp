#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "caf/all.hpp"

#include "actors/registry_scanner.hpp"
#include "tests/registry_actors/harness.hpp"
#include "tests/support/registry/proxy.hpp"

using namespace fluxd;
using namespace fluxd::test;
using namespace std::chrono_literals;

namespace {

const registry_host_info* find_host(const std::vector<registry_host_info>& xs,
                                    const std::string& host) {
  auto it = std::find_if(xs.begin(), xs.end(),
                         [&](auto& x) { return x.host == host; });
  return it == xs.end() ? nullptr : &*it;
}

} // namespace

TEST_CASE("the scanner lists its hosts: traffic, back-off and last error",
          "[registry][actors]") {
  local_registry reg;
  push_one(reg.host(), "demo/a");
  push_one(reg.host(), "demo/b");
  registry_proxy fine{reg.url()};
  // Every request but the ping gets 429 with the registry's own limits.
  registry_proxy limited{reg.url(), [](const httplib::Request& req,
                                       httplib::Response& res) {
                           if (req.path == "/v2/")
                             return false;
                           res.status = 429;
                           res.set_header("Retry-After", "30");
                           res.set_header("RateLimit-Remaining", "0;w=30");
                           res.set_content(
                             R"({"errors":[{"code":"TOOMANYREQUESTS"}]})",
                             "application/json");
                           return true;
                         }};
  harness h;
  registry_scanner_config sc;
  sc.plain_http_hosts = {fine.host(), limited.host()};
  sc.poll_interval = 1h;
  auto scanner = h.sys->spawn(registry_scanner, sc);
  h.spawned.push_back(caf::actor_cast<caf::actor>(scanner));
  auto hosts = [&] {
    return h.ask<registry_scanner_actor, std::vector<registry_host_info>>(
      scanner, registry_hosts_atom_v);
  };
  CHECK(hosts().empty()); // no image asked for yet

  auto box = std::make_shared<inbox>();
  for (auto image : {fine.host() + "/demo/a:v1", fine.host() + "/demo/b",
                     limited.host() + "/demo/a"})
    h.ask<registry_scanner_actor, repo_snapshot>(
      scanner, watch_repo_atom_v, image, h.listen(box), false);
  auto scanned = [&](const std::string& image) {
    for (int i = 0; i < 1000; ++i) {
      if (h.ask<registry_scanner_actor, repo_snapshot>(scanner,
                                                       caf::get_atom_v, image)
            .scans
          >= 1)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  };
  REQUIRE(scanned(fine.host() + "/demo/a"));
  REQUIRE(scanned(fine.host() + "/demo/b"));
  REQUIRE(scanned(limited.host() + "/demo/a"));

  auto before = caf::make_timestamp();
  auto list = hosts();
  REQUIRE(list.size() == 2);
  CHECK(list[0].host < list[1].host);
  auto* ok = find_host(list, fine.host());
  auto* slow = find_host(list, limited.host());
  REQUIRE(ok);
  REQUIRE(slow);

  CHECK(ok->answered);
  CHECK(ok->repositories == 2);
  CHECK(ok->requests_last_minute == 3); // the ping and two tag lists
  CHECK(ok->requests == 3);
  CHECK(ok->rate == Approx(50));
  CHECK_FALSE(ok->backing_off);
  CHECK(ok->backoff_until == caf::timestamp{});
  CHECK(ok->last_error.empty());
  CHECK(ok->last_error_at == caf::timestamp{});
  CHECK(ok->ratelimit_remaining == -1);
  CHECK(ok->in_flight == 0);
  CHECK(ok->queued == 0);

  CHECK(slow->answered);
  CHECK(slow->repositories == 1);
  CHECK(slow->requests_last_minute == 2);
  CHECK(slow->throttled == 1);
  CHECK(slow->rate == Approx(25));
  CHECK(slow->backing_off);
  // Paused for the 30 s of Retry-After, counted from the 429.
  CHECK(slow->backoff_until > before + 20s);
  CHECK(slow->backoff_until <= before + 30s);
  CHECK(slow->ratelimit_remaining == 0);
  CHECK_THAT(slow->last_error, Catch::Contains("429"));
  CHECK_THAT(slow->last_error, Catch::Contains("demo/a"));
  CHECK(slow->last_error_at <= before);
  CHECK(slow->last_error_at > before - 1min);

  // A rescan waits in the paused host's queue, and the list says so.
  caf::anon_send(scanner, rescan_atom_v, limited.host() + "/demo/a", true);
  registry_host_info queued;
  for (int i = 0; i < 500 && queued.queued == 0; ++i) {
    queued = *find_host(hosts(), limited.host());
    std::this_thread::sleep_for(10ms);
  }
  CHECK(queued.queued == 1);
  CHECK(limited.count("tags") == 1);
}
