// The Flux API served by the fluxd process with its real actors (the git
// mirror today): git-repo-config, sync status, a signed webhook, fluxctl.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <httplib.h>

#include "adapters/api/types.hpp"
#include "adapters/api/webhooks.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using namespace fluxd;

namespace {

void git(const std::string& dir, std::vector<std::string> args) {
  std::vector<std::string> argv{"git", "-C", dir, "-c", "user.name=t",
                                "-c", "user.email=t@x"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = test::run(argv, 20s);
  INFO(r.err);
  REQUIRE(r.status == 0);
}

std::string head(const std::string& dir) {
  auto r = test::run({"git", "-C", dir, "rev-parse", "HEAD"}, 20s);
  return r.out.substr(0, 40);
}

} // namespace

TEST_CASE("fluxd serves git-repo-config, sync status and webhooks") {
  test::temp_dir tmp;
  auto src = tmp.path() + "/src";
  auto bare = tmp.path() + "/repo.git";
  git(tmp.path(), {"init", "-q", "-b", "master", src});
  std::filesystem::create_directories(src + "/workloads");
  std::ofstream(src + "/workloads/ns.yaml")
    << "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n";
  git(src, {"add", "."});
  git(src, {"commit", "-qm", "init"});
  git(tmp.path(), {"clone", "-q", "--bare", src, bare});
  std::ofstream(tmp.path() + "/secret") << "s3cret\n";

  test::child_process p{
    {test::bin_path("fluxd"), "--listen=127.0.0.1:0",
     "--git-url=file://" + bare, "--git-path=workloads",
     "--webhook-secret-file=" + tmp.path() + "/secret"}};
  REQUIRE(p.wait_for_output("listening for HTTP", 10s));
  std::smatch m;
  auto err = p.stderr_text();
  REQUIRE(std::regex_search(err, m,
                            std::regex{"addr=127\\.0\\.0\\.1:([0-9]+)"}));
  int port = std::stoi(m[1]);
  REQUIRE(p.wait_for_output("new branch head", 20s));

  httplib::Client c("127.0.0.1", port);
  auto cfg = c.Post("/api/flux/v9/git-repo-config", "false",
                    "application/json");
  REQUIRE(cfg);
  CHECK(cfg->status == 200);
  auto g = api::decode_git_config(cfg->body);
  CHECK(g.url == "file://" + bare);
  CHECK(g.path == "workloads");
  CHECK(g.status == "ready");
  CHECK(api::to_json(g.public_ssh_key) == R"({"key":"","fingerprints":null})");

  // No sync marker yet: the head's commit is not applied.
  auto first = head(src);
  auto sync = c.Get("/api/flux/v6/sync?ref=" + first);
  CHECK(sync->status == 200);
  CHECK(sync->body == "[\"" + first + "\"]");

  // A new commit upstream, announced by a signed GitHub push: the mirror
  // fetches at once, so the new head shows up in sync status.
  std::ofstream(src + "/workloads/cm.yaml")
    << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
  git(src, {"add", "."});
  git(src, {"commit", "-qm", "second"});
  git(src, {"push", "-q", bare, "master"});
  auto second = head(src);
  std::string body = R"({"ref":"refs/heads/master","repository":{"ssh_url":")"
                     "file://" + bare + R"("}})";
  auto hook = c.Post("/hook/github",
                     {{"X-GitHub-Event", "push"},
                      {"X-GitHub-Delivery", "d-1"},
                      {"X-Hub-Signature-256",
                       "sha256=" + api::hmac_sha256_hex("s3cret", body)}},
                     body, "application/json");
  REQUIRE(hook);
  CHECK(hook->status == 202);
  REQUIRE(p.wait_for_output("revision=" + second, 10s));
  auto unsigned_hook = c.Post("/hook/github", {{"X-GitHub-Event", "push"}},
                              body, "application/json");
  CHECK(unsigned_hook->status == 401);

  // fluxctl against the process: what is served, and what is not yet.
  auto url = "http://127.0.0.1:" + std::to_string(port) + "/api/flux";
  auto lw = test::run({test::bin_path("fluxctl"), "--url", url,
                       "list-workloads"},
                      20s);
  CHECK(lw.status == 1);
  CHECK(lw.err.rfind("== Error ==\n\nlisting workloads is not available", 0)
        == 0);
  auto v = c.Get("/api/flux/v11/version");
  CHECK(v->body == "\"0.1.0\"");
}
