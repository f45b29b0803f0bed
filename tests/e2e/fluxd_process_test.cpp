// fluxd as a process: flags, --help/--version, serving /metrics, and an
// orderly stop on SIGTERM/SIGINT.

#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

#include <httplib.h>

#include "tests/support/process.hpp"

using namespace std::chrono_literals;
using fluxd::test::bin_path;
using fluxd::test::child_process;
using fluxd::test::run;

namespace {

/// Starts fluxd on a free loopback port and returns the port it logged.
int start_and_find_port(child_process& p) {
  int port = fluxd::test::fluxd_api_port(p, 10s);
  REQUIRE(port > 0);
  return port;
}

} // namespace

TEST_CASE("fluxd --version and --help") {
  auto v = run({bin_path("fluxd"), "--version"});
  CHECK(v.status == 0);
  CHECK(v.out == "0.1.0\n");
  auto h = run({bin_path("fluxd"), "--help"});
  CHECK(h.status == 0);
  CHECK(h.out.find("Usage of fluxd:") == 0);
  CHECK(h.out.find("--git-url string") != std::string::npos);
  CHECK(h.out.find("\nSync:\n") != std::string::npos);
}

TEST_CASE("fluxd rejects bad flags with exit code 2 and names the flag") {
  auto bad = run({bin_path("fluxd"), "--sync-interval=often"});
  CHECK(bad.status == 2);
  CHECK(bad.err.find("--sync-interval") != std::string::npos);
  CHECK(bad.err.find("Run 'fluxd --help' for usage.") != std::string::npos);
  auto unknown = run({bin_path("fluxd"), "--git-uri=x"});
  CHECK(unknown.status == 2);
  CHECK(unknown.err.find("unknown flag: --git-uri") != std::string::npos);
}

TEST_CASE("fluxd serves /metrics and stops cleanly on SIGTERM") {
  child_process p{{bin_path("fluxd"), "--listen=127.0.0.1:0"}};
  int port = start_and_find_port(p);
  httplib::Client cli("127.0.0.1", port);
  auto metrics = cli.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->body.find("flux_git_ready 0") != std::string::npos);
  CHECK(metrics->body.find("process_resident_memory_bytes") !=
        std::string::npos);
  CHECK(cli.Get("/healthz")->status == 200);
  CHECK(cli.Get("/readyz")->status == 200);

  p.signal(SIGTERM);
  auto status = p.wait(5s);
  REQUIRE(status);
  CHECK(*status == 0);
  auto log = p.stderr_text();
  CHECK(log.find("msg=\"shutting down\" signal=SIGTERM") != std::string::npos);
  CHECK(log.find("msg=stopped") != std::string::npos);
  // Every line is structured; CAF printed nothing of its own.
  CHECK(p.stdout_text().empty());
  for (size_t pos = 0, next; pos < log.size(); pos = next + 1) {
    next = log.find('\n', pos);
    if (next == std::string::npos)
      next = log.size();
    CHECK(log.compare(pos, 3, "ts=") == 0);
  }
}

TEST_CASE("fluxd stops on SIGINT and logs JSON when asked") {
  child_process p{{bin_path("fluxd"), "--listen=127.0.0.1:0",
                   "--log-format=json"}};
  REQUIRE(p.wait_for_output("\"msg\":\"listening for HTTP\"", 10s));
  p.signal(SIGINT);
  auto status = p.wait(5s);
  REQUIRE(status);
  CHECK(*status == 0);
  CHECK(p.stderr_text().find("\"signal\":\"SIGINT\"") != std::string::npos);
}

TEST_CASE("fluxd exits 1 with a clear error when its port is taken") {
  child_process first{{bin_path("fluxd"), "--listen=127.0.0.1:0"}};
  int port = start_and_find_port(first);
  auto second = run({bin_path("fluxd"),
                     "--listen=127.0.0.1:" + std::to_string(port)},
                    10s);
  CHECK(second.status == 1);
  CHECK(second.err.find("cannot start HTTP listener") != std::string::npos);
  CHECK(second.err.find(std::to_string(port)) != std::string::npos);
}
