#include <catch2/catch.hpp>

#include "adapters/registry/auth.hpp"
#include "adapters/registry/rate.hpp"
#include "adapters/registry/refresh.hpp"

using namespace fluxd::registry;
using namespace std::chrono_literals;

TEST_CASE("token bucket: burst, then rate", "[registry]") {
  steady_time t0{};
  token_bucket b{2.0, 3.0, t0};
  CHECK(b.try_take(t0));
  CHECK(b.try_take(t0));
  CHECK(b.try_take(t0));
  CHECK_FALSE(b.try_take(t0));
  CHECK(b.wait_time(t0) == 500ms);
  CHECK_FALSE(b.try_take(t0 + 400ms));
  CHECK(b.try_take(t0 + 500ms));
  // Idle for long: never more than the burst.
  auto later = t0 + 1h;
  for (int i = 0; i < 3; ++i)
    CHECK(b.try_take(later));
  CHECK_FALSE(b.try_take(later));
  b.set_rate(0.5, later);
  CHECK(b.wait_time(later) == 2s);
  // Requests made beyond the one token put the bucket into debt.
  token_bucket d{1.0, 2.0, t0};
  CHECK(d.try_take(t0));
  d.charge(3, t0); // tokens: 2 - 1 - 3 = -2
  CHECK(d.wait_time(t0) == 3s);
}

TEST_CASE("back-off: 429 halves the rate and honours Retry-After",
          "[registry]") {
  steady_time t0{};
  backoff b{{}};
  CHECK(b.rate() == 50);
  rate_limit_info info;
  info.retry_after = 7s;
  CHECK(b.on_response(429, info, t0));
  CHECK(b.rate() == 25);
  CHECK(b.paused(t0 + 6s));
  CHECK_FALSE(b.paused(t0 + 7s));
  for (int i = 0; i < 20; ++i)
    b.on_response(429, {}, t0);
  CHECK(b.rate() == Approx(0.1));
  // Exponential delay without Retry-After, capped at 5 minutes.
  CHECK(b.paused_until() == t0 + 5min);
  // Recovery waits for a quiet stretch, then grows by 1.5 up to the max.
  CHECK_FALSE(b.on_recovered(t0 + 10min));
  CHECK(b.on_recovered(t0 + 21min));
  CHECK(b.rate() == Approx(0.15));
}

TEST_CASE("back-off: 5xx pauses without slowing, remaining 0 waits out the "
          "window", "[registry]") {
  steady_time t0{};
  backoff b{{}};
  CHECK(b.on_response(503, {}, t0));
  CHECK(b.rate() == 50);
  CHECK(b.paused_until() == t0 + 1s);
  CHECK(b.on_response(502, {}, t0));
  CHECK(b.paused_until() == t0 + 2s);
  CHECK_FALSE(b.on_response(200, {}, t0));
  CHECK(b.consecutive_failures() == 0);
  rate_limit_info hub;
  parse_ratelimit_header("0;w=60", hub.remaining, hub.window);
  CHECK(b.on_response(200, hub, t0 + 10s));
  CHECK(b.paused_until() == t0 + 70s);
}

TEST_CASE("ratelimit and Retry-After headers parse", "[registry]") {
  rate_limit_info i;
  parse_ratelimit_header("100;w=21600", i.limit, i.window);
  CHECK(*i.limit == 100);
  CHECK(*i.window == 21600s);
  parse_ratelimit_header(" 76 ;w=21600", i.remaining, i.window);
  CHECK(*i.remaining == 76);
  std::optional<long> n;
  std::optional<std::chrono::seconds> w;
  parse_ratelimit_header("garbage", n, w);
  CHECK_FALSE(n);
  CHECK(*parse_retry_after("120", 0) == 120s);
  CHECK_FALSE(parse_retry_after("-1", 0));
  // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
  CHECK(*parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 30)
        == 30s);
  CHECK_FALSE(parse_retry_after("soon", 0));
}

TEST_CASE("challenges parse with quoted commas and colons", "[registry]") {
  auto c = parse_challenge(
    R"(Bearer realm="http://127.0.0.1:5099/token",service="test-registry",scope="repository:demo/app:push,pull",error="insufficient_scope")");
  CHECK(c.scheme == "bearer");
  CHECK(c.param("realm") == "http://127.0.0.1:5099/token");
  CHECK(c.param("service") == "test-registry");
  CHECK(c.param("scope") == "repository:demo/app:push,pull");
  CHECK(c.param("error") == "insufficient_scope");
  auto b = parse_challenge(R"(Basic realm="test-realm")");
  CHECK(b.scheme == "basic");
  CHECK(b.param("realm") == "test-realm");
  CHECK(parse_challenge("").scheme.empty());
}

TEST_CASE("token responses and the token cache", "[registry]") {
  auto r = parse_token_response(R"({"access_token":"abc","expires_in":300})",
                                "t");
  CHECK(r.token == "abc");
  CHECK(r.expires_in == 300s);
  CHECK(parse_token_response(R"({"token":"x"})", "t").expires_in == 60s);
  CHECK_THROWS(parse_token_response(R"({"expires_in":1})", "t"));
  CHECK_THROWS(parse_token_response("<html>", "t"));
  token_cache cache;
  token_cache::clock::time_point t0{};
  auto key = token_cache::key("realm", "svc", "repository:a:pull");
  cache.put(key, "tok", 300s, t0);
  CHECK(cache.get(key, t0 + 269s) == std::optional<std::string>{"tok"});
  CHECK_FALSE(cache.get(key, t0 + 271s)); // renewed 30 s early
  CHECK_FALSE(cache.get(token_cache::key("realm", "svc", "other"), t0));
}

TEST_CASE("adaptive refresh follows Flux v1", "[registry]") {
  CHECK(next_refresh(0s, "", "sha256:a", false) == initial_refresh);
  CHECK(next_refresh(3600s, "sha256:a", "sha256:a", false) == 7200s);
  CHECK(next_refresh(max_refresh, "sha256:a", "sha256:a", false)
        == max_refresh);
  CHECK(next_refresh(3600s, "sha256:a", "sha256:b", false) == 1800s);
  CHECK(next_refresh(400s, "sha256:a", "sha256:b", false) == min_refresh);
  CHECK(next_refresh(3600s, "", "", true) == excluded_refresh);
}
