// fluxd as one process with every actor wired: a git repository, the
// kube-emulator and a docker-registry on loopback, driven with fluxctl.
// The whole mission: sync, list-workloads with policies, list-images,
// automated image updates committed to git and applied, a lock holding a
// workload back, a release, and a sync on demand.

#include <catch2/catch.hpp>

#include <csignal>
#include <functional>
#include <regex>
#include <thread>

#include <httplib.h>
#include <openssl/hmac.h>

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

struct daemon_world {
  fluxd::test::temp_dir dir{"fluxd-daemon-e2e"};
  fluxd::test::local_registry reg;
  std::unique_ptr<fluxd::test::kube_emulator> kube;
  std::unique_ptr<fx::upstream> up;
  std::unique_ptr<child_process> fluxd;
  std::string api; ///< http://127.0.0.1:N/api/flux
  int port = 0;

  daemon_world() {
    push_tags(reg.host(), "demo/app",
         {{"1.0.0", "2024-01-01T00:00:00Z"}, {"1.1.0", "2024-02-01T00:00:00Z"}});
    auto image = reg.host() + "/demo/app:1.0.0";
    const std::string auto_ann =
      "    fluxcd.io/automated: \"true\"\n"
      "    fluxcd.io/tag.app: semver:~1\n";
    const std::string locked_ann =
      auto_ann + "    fluxcd.io/locked: \"true\"\n"
                 "    fluxcd.io/locked_user: Jane\n";
    up = std::make_unique<fx::upstream>(
      dir.path(), "cfg",
      std::map<std::string, std::string>{
        {"deploy/ns.yaml",
         "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n"},
        {"deploy/auto.yaml", demo_deployment("auto", image, auto_ann)},
        {"deploy/held.yaml", demo_deployment("held", image, locked_ann)},
        {"deploy/plain.yaml", demo_deployment("plain", image, "")}});
    fluxd::test::kube_emulator::options ko;
    kube = std::make_unique<fluxd::test::kube_emulator>(
      dir.path() + "/kubeconfig", ko);
    child_process::options po;
    po.env["KUBECONFIG"] = kube->kubeconfig();
    fluxd = std::make_unique<child_process>(
      std::vector<std::string>{
        bin_path("fluxd"), "--listen=127.0.0.1:0",
        "--state-dir=" + dir.path() + "/state",
        "--git-url=" + up->file_url(), "--git-branch=master",
        "--git-path=deploy", "--git-poll-interval=1s",
        "--sync-interval=1m", "--registry-insecure-host=" + reg.host(),
        "--automation-interval=1h", "--log-level=debug",
        "--automation-batch-window=200ms"},
      po);
    int started_port = fluxd_api_port(*fluxd);
    REQUIRE(started_port > 0);
    port = started_port;
    api = "http://127.0.0.1:" + std::to_string(port) + "/api/flux";
  }

  fluxd::test::run_result fluxctl(std::vector<std::string> args) {
    args.insert(args.begin(), {bin_path("fluxctl"), "--url", api});
    return fluxd::test::run(args, 60s);
  }

  /// The image of the `app` container of a deployment, in git or the cluster.
  std::string git_image(const std::string& name) {
    auto text = fx::git({"show", "master:deploy/" + name + ".yaml"}, up->bare);
    std::smatch m;
    std::regex_search(text, m, std::regex{"image: (\\S+)"});
    return m.size() > 1 ? m[1].str() : "";
  }
  std::string live_image(const std::string& name) {
    auto r = fluxd::test::run(
      {"kubectl", "--kubeconfig", kube->kubeconfig(), "-n", "demo", "get",
       "deployment", name, "-o",
       "jsonpath={.spec.template.spec.containers[0].image}"},
      20s);
    return r.status == 0 ? r.out : "";
  }

  std::string log() { return fluxd->stderr_text(); }

  /// fluxd's log stays beside the test binary for whoever reads a failure.
  ~daemon_world() {
    if (fluxd)
      fluxd::test::write_file("daemon_e2e_fluxd.log", fluxd->stderr_text());
  }
};

} // namespace

TEST_CASE("fluxd wired end to end: workloads, images, automation, lock, "
          "release and sync") {
  if (!fluxd::test::have_program("kubectl")
      || !fluxd::test::have_program("skopeo")) {
    WARN("kubectl or skopeo missing: skipped");
    return;
  }
  daemon_world w;
  auto v1 = w.reg.host() + "/demo/app:1.0.0";
  auto v11 = w.reg.host() + "/demo/app:1.1.0";
  auto v12 = w.reg.host() + "/demo/app:1.2.0";

  // The first sync puts every deployment in the cluster.
  REQUIRE(eventually([&] { return !w.live_image("plain").empty(); }, 30s));

  // list-workloads: rows from the cluster, policies from git.
  fluxd::test::run_result wl;
  eventually([&] {
    wl = w.fluxctl({"list-workloads", "-n", "demo"});
    return wl.status == 0 && wl.out.find("automated") != std::string::npos;
  }, 20s);
  INFO(wl.out << wl.err);
  REQUIRE(wl.status == 0);
  CHECK(std::regex_search(wl.out,
                          std::regex{"demo:deployment/auto\\s+app\\s+.*automated"}));
  CHECK(std::regex_search(wl.out,
                          std::regex{"demo:deployment/held\\s.*locked"}));
  CHECK(wl.out.find("demo:deployment/plain") != std::string::npos);

  auto json = w.fluxctl({"list-workloads", "-n", "demo", "-o", "json"});
  REQUIRE(json.status == 0);
  CHECK(json.out.find(R"("locked_user":"Jane")") != std::string::npos);

  // list-images: the tags of the repository, the running one marked.
  fluxd::test::run_result li;
  eventually([&] {
    li = w.fluxctl({"list-images", "-w", "demo:deployment/plain"});
    return li.status == 0 && li.out.find("1.1.0") != std::string::npos;
  }, 20s);
  INFO(li.out << li.err);
  REQUIRE(li.status == 0);
  CHECK(li.out.find("1.1.0") != std::string::npos);
  CHECK(std::regex_search(li.out, std::regex{"'->\\s+1\\.0\\.0"}));

  // Automation: the newest tag in the filter is committed to git for the
  // automated workload, and applied; the locked one is held back.
  INFO("fluxd's log: build/tests/daemon_e2e/daemon_e2e_fluxd.log");
  REQUIRE(eventually([&] { return w.git_image("auto") == v11; }, 40s));
  CHECK(w.git_image("held") == v1);
  CHECK(w.git_image("plain") == v1);
  REQUIRE(eventually([&] { return w.live_image("auto") == v11; }, 30s));
  CHECK(w.live_image("held") == v1);

  // A new tag pushed and announced: committed and applied in seconds.
  push_tags(w.reg.host(), "demo/app", {{"1.2.0", "2024-03-01T00:00:00Z"}});
  httplib::Client http{"127.0.0.1", w.port};
  auto res = http.Post(
    "/api/flux/v11/notify",
    R"({"Kind":"image","Source":{"Name":{"Domain":")" + w.reg.host()
      + R"(","Image":"demo/app"}}})",
    "application/json");
  REQUIRE(res);
  CHECK(res->status / 100 == 2);
  REQUIRE(eventually([&] { return w.git_image("auto") == v12; }, 30s));
  CHECK(w.git_image("held") == v1);

  // A release by hand: a job, a commit, the cluster follows.
  auto rel = w.fluxctl({"release", "--workload=demo:deployment/plain",
                        "--update-image=" + v11});
  INFO(rel.out << rel.err);
  REQUIRE(rel.status == 0);
  CHECK(w.git_image("plain") == v11);
  REQUIRE(eventually([&] { return w.live_image("plain") == v11; }, 30s));

  // A locked workload refuses a release without --force.
  // (-v: Flux v1's fluxctl hides skipped workloads at verbosity 0.)
  auto held = w.fluxctl({"release", "-v", "--workload=demo:deployment/held",
                         "--update-image=" + v12});
  INFO(held.out << held.err);
  CHECK(std::regex_search(held.out,
                          std::regex{"demo:deployment/held\\s+skipped\\s+locked"}));
  CHECK(w.git_image("held") == v1);

  // Policies through fluxctl, written to the manifest in git.
  auto file = [&](const std::string& name) {
    return fx::git({"show", "master:deploy/" + name + ".yaml"}, w.up->bare);
  };
  auto lock = w.fluxctl({"lock", "--workload=demo:deployment/plain", "-m",
                         "hold it"});
  INFO(lock.out << lock.err);
  REQUIRE(lock.status == 0);
  CHECK(std::regex_search(file("plain"),
                          std::regex{"fluxcd.io/locked: .?true"}));
  REQUIRE(w.fluxctl({"unlock", "--workload=demo:deployment/plain"}).status
          == 0);
  CHECK(file("plain").find("fluxcd.io/locked") == std::string::npos);
  REQUIRE(w.fluxctl({"policy", "--workload=demo:deployment/plain",
                     "--tag-all=semver:~1"})
            .status
          == 0);
  CHECK(file("plain").find("fluxcd.io/tag.app: semver:~1")
        != std::string::npos);

  // A dry run plans without committing; --watch follows the rollout.
  auto head = w.up->head();
  auto plan = w.fluxctl({"release", "--dry-run",
                         "--workload=demo:deployment/plain",
                         "--update-image=" + v12});
  INFO(plan.out << plan.err);
  CHECK(plan.status == 0);
  CHECK(plan.out.find("1.2.0") != std::string::npos);
  CHECK(w.up->head() == head);
  auto watched = w.fluxctl({"release", "--watch",
                            "--workload=demo:deployment/plain",
                            "--update-image=" + v12});
  INFO(watched.out << watched.err);
  CHECK(watched.status == 0);
  CHECK(watched.err.find("Monitoring rollout") != std::string::npos);
  CHECK(watched.out.find("All workloads ready.") != std::string::npos);
  CHECK(w.git_image("plain") == v12);

  // fluxctl sync waits until the head is applied.
  auto sync = w.fluxctl({"sync"});
  INFO(sync.out << sync.err);
  CHECK(sync.status == 0);

  w.fluxd->signal(SIGTERM);
  CHECK(w.fluxd->wait(20s) == 0);
}

TEST_CASE("fluxd makes its SSH deploy key: stored in the Secret, shown by "
          "fluxctl identity, and used to clone once authorized") {
  if (!fluxd::test::have_program("kubectl")
      || !fluxd::test::have_program("sshd")) {
    WARN("kubectl or sshd missing: skipped");
    return;
  }
  fluxd::test::temp_dir dir{"fluxd-deploy-key"};
  fx::upstream up{
    dir.path(), "cfg",
    {{"deploy/ns.yaml",
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: keyed\n"}}};
  auto other = fx::make_key(dir.path(), "other", "ed25519");
  fx::sshd_server sshd{dir.path() + "/sshd", {other}};
  fluxd::test::write_file(dir.path() + "/known_hosts", sshd.known_hosts());
  fluxd::test::kube_emulator kube{dir.path() + "/kubeconfig", {}};
  child_process::options po;
  po.env["KUBECONFIG"] = kube.kubeconfig();
  child_process fluxd{
    {bin_path("fluxd"), "--listen=127.0.0.1:0",
     "--state-dir=" + dir.path() + "/state",
     "--git-url=" + sshd.url(up.bare), "--git-branch=master",
     "--git-path=deploy", "--git-poll-interval=1s",
     "--git-known-hosts=" + dir.path() + "/known_hosts",
     "--k8s-secret-volume-mount-path=" + dir.path() + "/mounted",
     "--registry-disable-scanning"},
    po};
  int started_port = fluxd_api_port(fluxd);
  REQUIRE(started_port > 0);
  auto url = "http://127.0.0.1:" + std::to_string(started_port) + "/api/flux";

  // The listener answers "starting" until the key is made and the actors run.
  fluxd::test::run_result id;
  eventually([&] {
    id = fluxd::test::run({bin_path("fluxctl"), "--url", url, "identity"});
    return id.status == 0;
  }, 20s);
  INFO(id.out << id.err << fluxd.stderr_text());
  REQUIRE(id.status == 0);
  REQUIRE(id.out.rfind("ssh-ed25519 ", 0) == 0);
  auto secret = fluxd::test::run(
    {"kubectl", "--kubeconfig", kube.kubeconfig(), "get", "secret",
     "flux-git-deploy", "-o", "jsonpath={.data.identity}"});
  CHECK(secret.status == 0);
  CHECK_FALSE(secret.out.empty());

  // Not authorized yet: nothing synced. Authorize the key: fluxd clones
  // over ssh with it and syncs.
  std::this_thread::sleep_for(1s);
  auto ns = [&] {
    return fluxd::test::run({"kubectl", "--kubeconfig", kube.kubeconfig(),
                             "get", "namespace", "keyed"})
             .status
           == 0;
  };
  CHECK_FALSE(ns());
  fluxd::test::write_file(dir.path() + "/sshd/authorized_keys",
                          fluxd::test::read_file(other + ".pub") + id.out);
  CHECK(eventually(ns, 30s));
  fluxd.signal(SIGTERM);
  CHECK(fluxd.wait(20s) == 0);
}

namespace {

std::string hmac_sha256_hex(const std::string& key, const std::string& body) {
  unsigned char mac[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
       &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

} // namespace

TEST_CASE("a signed GitHub push webhook makes fluxd fetch and apply at once "
          "and a bad signature changes nothing") {
  if (!fluxd::test::have_program("kubectl")) {
    WARN("kubectl missing: skipped");
    return;
  }
  fluxd::test::temp_dir dir{"fluxd-webhook-e2e"};
  fx::upstream up{
    dir.path(), "cfg",
    {{"deploy/a.yaml",
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: hooked\n"}}};
  fluxd::test::kube_emulator kube{dir.path() + "/kubeconfig", {}};
  fluxd::test::write_file(dir.path() + "/secret", "s3cret\n");
  child_process::options po;
  po.env["KUBECONFIG"] = kube.kubeconfig();
  // Polling is off in practice: only the webhook can bring the change.
  child_process fluxd{
    {bin_path("fluxd"), "--listen=127.0.0.1:0",
     "--state-dir=" + dir.path() + "/state", "--git-url=" + up.file_url(),
     "--git-branch=master", "--git-path=deploy", "--git-poll-interval=1h",
     "--sync-interval=1h", "--registry-disable-scanning",
     "--webhook-secret-file=" + dir.path() + "/secret"},
    po};
  int started_port = fluxd_api_port(fluxd);
  REQUIRE(started_port > 0);
  int port = started_port;
  auto has_ns = [&](const std::string& name) {
    return fluxd::test::run({"kubectl", "--kubeconfig", kube.kubeconfig(),
                             "get", "namespace", name})
             .status
           == 0;
  };
  REQUIRE(eventually([&] { return has_ns("hooked"); }, 30s));

  up.commit({{"deploy/b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:"
                               "\n  name: pushed\n"}},
            "add a namespace");
  auto body = R"({"ref":"refs/heads/master","repository":{"clone_url":")"
              + up.file_url() + R"("}})";
  httplib::Client http{"127.0.0.1", port};
  httplib::Headers bad{{"X-GitHub-Event", "push"},
                       {"X-GitHub-Delivery", "d-1"},
                       {"X-Hub-Signature-256", "sha256=" + std::string(64, '0')}};
  auto refused = http.Post("/hook/github", bad, body, "application/json");
  REQUIRE(refused);
  CHECK(refused->status == 401);
  std::this_thread::sleep_for(2s);
  CHECK_FALSE(has_ns("pushed"));

  httplib::Headers good{
    {"X-GitHub-Event", "push"},
    {"X-GitHub-Delivery", "d-2"},
    {"X-Hub-Signature-256", "sha256=" + hmac_sha256_hex("s3cret", body)}};
  auto ok = http.Post("/hook/github", good, body, "application/json");
  REQUIRE(ok);
  CHECK(ok->status / 100 == 2);
  // Within seconds, where the next poll would come in an hour.
  CHECK(eventually([&] { return has_ns("pushed"); }, 15s));
  fluxd.signal(SIGTERM);
  CHECK(fluxd.wait(20s) == 0);
}
