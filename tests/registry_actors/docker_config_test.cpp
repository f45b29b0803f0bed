#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <thread>

#include "caf/all.hpp"

#include "actors/registry_scanner.hpp"
#include "adapters/registry/credentials.hpp"
#include "tests/registry_actors/harness.hpp"

using namespace fluxd;
using namespace fluxd::test;
using namespace std::chrono_literals;

namespace {

std::string docker_config(const std::string& host,
                          const std::string& user_pass) {
  return R"({"auths":{")" + host + R"(":{"auth":")"
         + registry::base64_encode(user_pass) + R"("}}})";
}

} // namespace

TEST_CASE("the scanner re-reads --docker-config when the file changes",
          "[registry][actors]") {
  local_registry::options o;
  o.auth = local_registry::auth_mode::htpasswd;
  o.users = {{"alice", "wonderland"}};
  local_registry reg{o};
  push_demo(reg.host(), "demo/app", "alice:wonderland", false);
  temp_dir dir;
  auto path = dir.file("config.json");
  write_file(path, docker_config(reg.host(), "alice:wrong"));

  auto lines = std::make_shared<std::vector<std::string>>();
  auto lines_mtx = std::make_shared<std::mutex>();
  log::set_sink([lines, lines_mtx](std::string_view line) {
    std::lock_guard<std::mutex> g{*lines_mtx};
    lines->emplace_back(line);
  });
  auto logged = [&](const std::string& text) {
    std::lock_guard<std::mutex> g{*lines_mtx};
    for (auto& l : *lines)
      if (l.find(text) != std::string::npos)
        return l;
    return std::string{};
  };

  config::daemon_config flags;
  flags.state_dir = dir.file("state");
  flags.docker_config = path;
  auto sc = scanner_config(flags);
  REQUIRE(sc.docker_config);
  sc.plain_http_hosts = {reg.host()};
  sc.poll_interval = 1h;
  sc.docker_config_poll = 50ms;
  harness h;
  auto scanner = h.sys->spawn(registry_scanner, sc);
  h.spawned.push_back(caf::actor_cast<caf::actor>(scanner));
  auto image = reg.host() + "/demo/app";
  h.ask<registry_scanner_actor, repo_snapshot>(
    scanner, watch_repo_atom_v, image, h.listen(std::make_shared<inbox>()),
    false);
  auto get = [&] {
    return h.ask<registry_scanner_actor, repo_snapshot>(scanner,
                                                        caf::get_atom_v, image);
  };
  /// Rescans until `pred` holds for a finished scan (10 s at most).
  auto rescan_until = [&](auto pred) {
    repo_snapshot s;
    for (int i = 0; i < 100; ++i) {
      auto scans = get().scans;
      caf::anon_send(scanner, rescan_atom_v, image, true);
      for (int j = 0; j < 100 && (s = get()).scans == scans; ++j)
        std::this_thread::sleep_for(10ms);
      if (pred(s))
        return s;
    }
    return s;
  };
  auto s = rescan_until([](auto& s) { return !s.last_error.empty(); });
  CHECK(s.tags.empty());
  CHECK_THAT(s.last_error, Catch::Contains("demo/app"));

  // The right password: picked up without a restart.
  write_file(path, docker_config(reg.host(), "alice:wonderland"));
  s = rescan_until([](auto& s) { return s.last_error.empty(); });
  CHECK(s.last_error.empty());
  CHECK(s.tags == std::vector<std::string>{"v0.9.0", "v1.0.0", "v1.1.0"});
  auto line = logged("re-read --docker-config");
  CHECK_THAT(line, Catch::Contains(reg.host()));
  CHECK_THAT(line, !Catch::Contains("wonderland"));

  // A broken file is reported (once, no secret) and the working
  // credentials stay.
  write_file(path, R"({"auths":{")" + reg.host() + R"(":{"auth":")"
                     + registry::base64_encode("wonderland-no-colon")
                     + R"("}}})");
  for (int i = 0; i < 500 && logged("cannot re-read").empty(); ++i)
    std::this_thread::sleep_for(10ms);
  line = logged("cannot re-read --docker-config");
  CHECK_THAT(line, Catch::Contains(path));
  CHECK_THAT(line, !Catch::Contains("wonderland"));
  auto before = get().scans;
  caf::anon_send(scanner, rescan_atom_v, image, true);
  for (int i = 0; i < 500 && (s = get()).scans == before; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(s.last_error.empty());
  log::set_sink(nullptr);
}
