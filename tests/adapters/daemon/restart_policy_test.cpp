#include <catch2/catch.hpp>

#include "adapters/supervision/restart_policy.hpp"

using namespace std::chrono_literals;
using fluxd::supervision::restart_policy;
using fluxd::supervision::restart_tracker;

TEST_CASE("back-off doubles per crash and is capped") {
  restart_policy p;
  p.initial_backoff = 100ms;
  p.max_backoff = 1s;
  p.max_restarts = 10;
  p.window = 1h;
  restart_tracker t{p};
  std::chrono::steady_clock::time_point now{};
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 6; ++i) {
    auto d = t.on_crash(now);
    CHECK_FALSE(d.escalate);
    delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(
      d.delay));
    now += 1s;
  }
  CHECK(delays == std::vector<std::chrono::milliseconds>{
                    100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms});
}

TEST_CASE("too many crashes within the window escalate") {
  restart_policy p;
  p.max_restarts = 3;
  p.window = 10s;
  restart_tracker t{p};
  std::chrono::steady_clock::time_point now{};
  CHECK_FALSE(t.on_crash(now).escalate);
  CHECK_FALSE(t.on_crash(now + 1s).escalate);
  CHECK_FALSE(t.on_crash(now + 2s).escalate);
  CHECK(t.on_crash(now + 3s).escalate);
}

TEST_CASE("crashes older than the window are forgotten") {
  restart_policy p;
  p.initial_backoff = 100ms;
  p.max_restarts = 2;
  p.window = 10s;
  restart_tracker t{p};
  std::chrono::steady_clock::time_point now{};
  t.on_crash(now);
  t.on_crash(now + 1s);
  CHECK(t.recent(now + 1s) == 2);
  // Quiet for longer than the window: back to the first back-off.
  auto d = t.on_crash(now + 30s);
  CHECK_FALSE(d.escalate);
  CHECK(d.delay == std::chrono::steady_clock::duration{100ms});
  CHECK(t.recent(now + 30s) == 1);
}
