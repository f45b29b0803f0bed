// fluxd killed (SIGKILL, through the FLUXD_FAILPOINT test hook in the
// git_writer) between commit and push, and between push and the job's
// answer; restarted on the same --state-dir: the change is in git exactly
// once, the orphan local commit never reaches the remote, and the job's
// status is found from its git note.

#include <catch2/catch.hpp>

#include <csignal>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "tests/adapters/git/fixtures.hpp"
#include "tests/support/kube_emulator.hpp"
#include "tests/support/manifests.hpp"
#include "tests/support/process.hpp"
#include "tests/support/registry/local_registry.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
namespace fx = fluxd::test::gitfx;
using fluxd::test::bin_path;
using fluxd::test::child_process;
using fluxd::test::demo_deployment;
using fluxd::test::eventually;
using fluxd::test::fluxd_api_port;
using fluxd::test::push_tags;

namespace {

constexpr int killed = 128 + SIGKILL;

/// One deployment `app` in git (automated or not), a registry with 1.0.0
/// and 1.1.0, the emulator; fluxd started and restarted on one state dir.
struct crash_world {
  fluxd::test::temp_dir dir{"fluxd-crash"};
  fluxd::test::local_registry reg;
  std::unique_ptr<fluxd::test::kube_emulator> kube;
  std::unique_ptr<fx::upstream> up;
  std::unique_ptr<child_process> fluxd;
  std::string logs; ///< every run's stderr, for whoever reads a failure
  std::string log_file;
  int port = 0;

  crash_world(bool automated, std::string log_name)
      : log_file{std::move(log_name)} {
    push_tags(reg.host(), "demo/app",
         {{"1.0.0", "2024-01-01T00:00:00Z"},
          {"1.1.0", "2024-02-01T00:00:00Z"}});
    const std::string ann = automated ? "    fluxcd.io/automated: \"true\"\n"
                                        "    fluxcd.io/tag.app: semver:~1\n"
                                      : "";
    up = std::make_unique<fx::upstream>(
      dir.path(), "cfg",
      std::map<std::string, std::string>{
        {"deploy/ns.yaml",
         "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n"},
        {"deploy/app.yaml",
         demo_deployment("app", reg.host() + "/demo/app:1.0.0", ann)}});
    kube = std::make_unique<fluxd::test::kube_emulator>(
      dir.path() + "/kubeconfig", fluxd::test::kube_emulator::options{});
  }

  /// Starts fluxd; `failpoint` non-empty arms the git_writer's test hook.
  void start(const std::string& failpoint) {
    stop_log();
    child_process::options po;
    po.env["KUBECONFIG"] = kube->kubeconfig();
    if (!failpoint.empty())
      po.env["FLUXD_FAILPOINT"] = failpoint;
    fluxd = std::make_unique<child_process>(
      std::vector<std::string>{
        bin_path("fluxd"), "--listen=127.0.0.1:0",
        "--state-dir=" + state(), "--git-url=" + up->file_url(),
        "--git-branch=master", "--git-path=deploy",
        "--git-poll-interval=1s", "--sync-interval=1m",
        "--registry-insecure-host=" + reg.host(),
        "--automation-interval=1h", "--log-level=debug",
        "--automation-batch-window=200ms"},
      po);
  }

  /// Waits for the HTTP listener of the running fluxd; its port.
  void await_listening() {
    int started_port = fluxd_api_port(*fluxd);
    REQUIRE(started_port > 0);
    port = started_port;
  }

  std::string state() const { return dir.path() + "/state"; }
  std::string writer_git() const { return state() + "/git/writer"; }

  fluxd::test::run_result fluxctl(std::vector<std::string> args) {
    args.insert(args.begin(),
                {bin_path("fluxctl"), "--url",
                 "http://127.0.0.1:" + std::to_string(port) + "/api/flux"});
    return fluxd::test::run(args, 60s);
  }

  std::string git_image() {
    auto text = fx::git({"show", "master:deploy/app.yaml"}, up->bare);
    std::smatch m;
    std::regex_search(text, m, std::regex{"image: (\\S+)"});
    return m.size() > 1 ? m[1].str() : "";
  }

  /// Commits on the remote's master that touched the deployment.
  size_t commits_touching_app() {
    std::istringstream in{
      fx::git({"rev-list", "master", "--", "deploy/app.yaml"}, up->bare)};
    size_t n = 0;
    for (std::string line; std::getline(in, line);)
      n += !line.empty();
    return n;
  }

  /// Whether the git dir has the object (commit) `rev`.
  static bool has_object(const std::string& git_dir, const std::string& rev) {
    return fluxd::test::run({"git", "--git-dir=" + git_dir, "cat-file", "-e",
                             rev + "^{commit}"},
                            20s)
             .status
           == 0;
  }

  /// `git notes --ref flux list` of a git dir: "<note> <commit>" lines.
  static std::string notes(const std::string& git_dir) {
    auto r = fluxd::test::run(
      {"git", "--git-dir=" + git_dir, "notes", "--ref=flux", "list"}, 20s);
    return r.status == 0 ? r.out : "";
  }

  void stop_log() {
    if (fluxd)
      logs += fluxd->stderr_text() + "\n---- restart ----\n";
  }

  ~crash_world() {
    stop_log();
    fluxd::test::write_file(log_file, logs);
  }
};

bool have_tools() {
  return fluxd::test::have_program("kubectl")
         && fluxd::test::have_program("skopeo");
}

} // namespace

TEST_CASE("killed between commit and push: the automated update lands "
          "exactly once, the orphan commit never") {
  if (!have_tools()) {
    WARN("kubectl or skopeo missing: skipped");
    return;
  }
  crash_world w{true, "crash_after_commit_fluxd.log"};
  auto v11 = w.reg.host() + "/demo/app:1.1.0";
  auto initial = w.up->head();
  INFO("fluxd's log: build/tests/crash/crash_after_commit_fluxd.log");

  // The automation commits 1.1.0 in the writer's clone; fluxd dies there.
  w.start("after-commit");
  REQUIRE(w.fluxd->wait(90s) == killed);
  CHECK(w.up->head() == initial);
  auto local_notes = crash_world::notes(w.writer_git());
  std::smatch m;
  REQUIRE(std::regex_search(local_notes, m,
                            std::regex{"[0-9a-f]{40} ([0-9a-f]{40})"}));
  auto orphan = m[1].str();
  REQUIRE(crash_world::has_object(w.writer_git(), orphan));
  CHECK(fx::git({"show", orphan + ":deploy/app.yaml"}, w.writer_git())
          .find(v11)
        != std::string::npos);
  CHECK_FALSE(crash_world::has_object(w.up->bare, orphan));

  // Restarted without the hook: the automation commits again, once. (A
  // second later, so the new commit's time and SHA differ from the orphan's.)
  std::this_thread::sleep_for(1100ms);
  w.start("");
  w.await_listening();
  REQUIRE(eventually([&] { return w.git_image() == v11; }, 60s));
  auto landed = w.up->head();
  CHECK(landed != orphan);
  // A sync and a further automation pass change nothing more.
  auto sync = w.fluxctl({"sync"});
  INFO(sync.out << sync.err);
  CHECK(sync.status == 0);
  CHECK(w.commits_touching_app() == 2);
  CHECK(w.up->head() == landed);
  CHECK_FALSE(crash_world::has_object(w.up->bare, orphan));
  CHECK(crash_world::notes(w.up->bare).find(orphan) == std::string::npos);
  CHECK(crash_world::notes(w.up->bare).find(landed) != std::string::npos);

  w.fluxd->signal(SIGTERM);
  CHECK(w.fluxd->wait(20s) == 0);
}

TEST_CASE("killed between push and the job's answer: after restart the job "
          "is found succeeded from its note, the change in git once") {
  if (!have_tools()) {
    WARN("kubectl or skopeo missing: skipped");
    return;
  }
  crash_world w{false, "crash_after_push_fluxd.log"};
  auto v11 = w.reg.host() + "/demo/app:1.1.0";
  INFO("fluxd's log: build/tests/crash/crash_after_push_fluxd.log");

  w.start("after-push");
  w.await_listening();
  // The release checks the image against the registry: wait for the scan.
  REQUIRE(eventually([&] {
    auto li = w.fluxctl({"list-images", "-w", "demo:deployment/app"});
    return li.status == 0 && li.out.find("1.1.0") != std::string::npos;
  }, 30s));

  httplib::Client http{"127.0.0.1", w.port};
  auto posted = http.Post(
    "/api/flux/v9/update-manifests",
    R"({"type":"image","cause":{"Message":"","User":"crash"},"spec":)"
    R"({"ServiceSpecs":["demo:deployment/app"],"ImageSpec":")"
      + v11 + R"(","Kind":"execute","Excludes":null}})",
    "application/json");
  REQUIRE(posted);
  INFO(posted->body);
  REQUIRE(posted->status == 200);
  std::smatch m;
  REQUIRE(std::regex_match(posted->body, m, std::regex{"\"([^\"]+)\""}));
  auto job_id = m[1].str();

  REQUIRE(w.fluxd->wait(60s) == killed);
  CHECK(w.git_image() == v11);
  auto pushed = w.up->head();
  CHECK(crash_world::notes(w.up->bare).find(pushed) != std::string::npos);

  w.start("");
  w.await_listening();
  httplib::Client again{"127.0.0.1", w.port};
  std::string body;
  CHECK(eventually([&] {
    auto job = again.Get("/api/flux/v6/jobs?id=" + job_id);
    body = job ? job->body : "";
    return job && job->status == 200
           && body.find("succeeded") != std::string::npos;
  }, 30s));
  INFO(body);
  CHECK(body.find(R"("StatusString":"succeeded")") != std::string::npos);
  CHECK(body.find(pushed) != std::string::npos);
  CHECK(w.commits_touching_app() == 2);
  CHECK(w.up->head() == pushed);

  w.fluxd->signal(SIGTERM);
  CHECK(w.fluxd->wait(20s) == 0);
}

TEST_CASE("killed between commit and push during a release: fluxctl "
          "fails, a release after restart pushes the change once") {
  if (!have_tools()) {
    WARN("kubectl or skopeo missing: skipped");
    return;
  }
  crash_world w{false, "crash_release_fluxd.log"};
  auto v11 = w.reg.host() + "/demo/app:1.1.0";
  auto initial = w.up->head();
  INFO("fluxd's log: build/tests/crash/crash_release_fluxd.log");

  w.start("after-commit");
  w.await_listening();
  REQUIRE(eventually([&] {
    auto li = w.fluxctl({"list-images", "-w", "demo:deployment/app"});
    return li.status == 0 && li.out.find("1.1.0") != std::string::npos;
  }, 30s));
  auto rel = w.fluxctl(
    {"release", "--workload=demo:deployment/app", "--update-image=" + v11});
  INFO(rel.out << rel.err);
  CHECK(rel.status != 0);
  REQUIRE(w.fluxd->wait(30s) == killed);
  CHECK(w.up->head() == initial);

  std::this_thread::sleep_for(1100ms); // a new commit time, a new SHA
  w.start("");
  w.await_listening();
  REQUIRE(eventually([&] {
    auto li = w.fluxctl({"list-images", "-w", "demo:deployment/app"});
    return li.status == 0 && li.out.find("1.1.0") != std::string::npos;
  }, 30s));
  auto again = w.fluxctl(
    {"release", "--workload=demo:deployment/app", "--update-image=" + v11});
  INFO(again.out << again.err);
  CHECK(again.status == 0);
  CHECK(w.git_image() == v11);
  CHECK(w.commits_touching_app() == 2);
  CHECK(w.up->head() != initial);

  w.fluxd->signal(SIGTERM);
  CHECK(w.fluxd->wait(20s) == 0);
}
