// The status page served by the real fluxd: --api-token-file guards the
// JSON, and the repository the git mirror fetched shows up on the page.

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <thread>

#include <boost/json.hpp>
#include <httplib.h>

#include "tests/adapters/git/fixtures.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using namespace fluxd;
namespace fx = fluxd::test::gitfx;

namespace {

int start_and_find_port(test::child_process& p) {
  int port = fluxd::test::fluxd_api_port(p, 10s);
  REQUIRE(port > 0);
  return port;
}

std::vector<std::string> fluxd_args(const test::temp_dir& dir,
                                    const fx::upstream& up) {
  return {test::bin_path("fluxd"),
          "--listen=127.0.0.1:0",
          "--git-url=" + up.file_url(),
          "--git-branch=master",
          "--git-path=deploy",
          "--git-readonly",
          "--state-dir=" + dir.file("state")};
}

/// The status JSON once the repository is ready (the mirror clones in the
/// background); fails after 20 s.
boost::json::object ready_status(httplib::Client& cli,
                                 const httplib::Headers& headers) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto res = cli.Get("/api/fluxd/v1/status", headers);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    last = res->body;
    auto doc = boost::json::parse(res->body).as_object();
    auto& repos = doc["repositories"].as_array();
    if (!repos.empty() && repos[0].as_object()["status"].as_string() == "ready")
      return doc;
    std::this_thread::sleep_for(100ms);
  }
  FAIL("repository never ready; last status: " << last);
  return {};
}

} // namespace

TEST_CASE("fluxd's status JSON needs the token and shows the repository") {
  test::temp_dir dir;
  fx::upstream up{dir.path(), "cluster", {{"deploy/a.yaml", "a: 1\n"}}};
  test::write_file(dir.file("token"), "s3cret-t0ken\n");
  auto args = fluxd_args(dir, up);
  args.push_back("--api-token-file=" + dir.file("token"));
  test::child_process p{args};
  httplib::Client cli("127.0.0.1", start_and_find_port(p));

  auto denied = cli.Get("/api/fluxd/v1/status");
  REQUIRE(denied);
  CHECK(denied->status == 401);
  auto page = cli.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Security-Policy")
            .find("script-src 'self'")
        != std::string::npos);

  auto doc = ready_status(cli, {{"Authorization", "Bearer s3cret-t0ken"}});
  auto& repo = doc["repositories"].as_array()[0].as_object();
  CHECK(repo["url"].as_string() == up.file_url());
  CHECK(repo["branch"].as_string() == "master");
  CHECK(repo["revision"].as_string() == up.head());
  CHECK(repo["paths"].as_array().size() == 1);
  auto& events = doc["events"].as_array();
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().as_object()["kind"].as_string() == "commit");
  CHECK(doc["daemon"].as_object()["version"].as_string() == "0.1.0");
  // The registry scanner runs with nothing to scan yet: an empty table,
  // not a section marked unavailable.
  std::vector<std::string> unavailable;
  for (auto& u : doc["unavailable"].as_array())
    unavailable.emplace_back(u.as_string());
  CHECK(std::find(unavailable.begin(), unavailable.end(), "registry_hosts")
        == unavailable.end());
  CHECK(doc["registry_hosts"].as_array().empty());
  CHECK(std::find(unavailable.begin(), unavailable.end(), "repositories")
        == unavailable.end());

  p.signal(SIGTERM);
  CHECK(p.wait(10s) == std::optional<int>{0});
}

TEST_CASE("fluxd's page shows the fetched repository in Chromium") {
  if (!test::have_program("chromium")) {
    WARN("SKIPPED: chromium is not installed (scripts/packages/ui.txt)");
    return;
  }
  test::temp_dir dir;
  fx::upstream up{dir.path(), "cluster", {{"deploy/a.yaml", "a: 1\n"}}};
  test::child_process p{fluxd_args(dir, up)};
  int port = start_and_find_port(p);
  httplib::Client cli("127.0.0.1", port);
  ready_status(cli, {});

  test::temp_dir profile{"fluxd-chromium"};
  test::child_process::options opts;
  opts.env["HOME"] = profile.path();
  auto r = test::run(
      {"chromium", "--headless", "--no-sandbox", "--disable-gpu",
       "--disable-background-networking", "--disable-component-update",
       "--disable-sync", "--no-first-run", "--disable-breakpad",
       "--user-data-dir=" + profile.path(), "--virtual-time-budget=3000",
       "--dump-dom", "http://127.0.0.1:" + std::to_string(port) + "/"},
      60s, opts);
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto& dom = r.out;
  INFO(dom);
  CHECK(dom.find("data-loaded=\"true\"") != std::string::npos);
  CHECK(dom.find("data-repository=\"" + up.file_url() + "\"")
        != std::string::npos);
  CHECK(dom.find(">ready<") != std::string::npos);
  CHECK(dom.find(up.head().substr(0, 12)) != std::string::npos);
  CHECK(dom.find("Fetched " + up.head().substr(0, 7) + " on master")
        != std::string::npos);

  p.signal(SIGTERM);
  CHECK(p.wait(10s) == std::optional<int>{0});
}
