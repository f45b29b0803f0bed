// The whole daemon behind its status page: the real fluxd syncs a git
// repository into the kube emulator and scans a docker-registry holding
// pushed images; headless Chromium opens the page and the DOM must show the
// workloads, their status, a pending update, a sync error, a locked workload
// and the registry host. A screenshot is kept in the build dir.

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <thread>

#include <boost/json.hpp>
#include <httplib.h>

#include "tests/adapters/git/fixtures.hpp"
#include "tests/support/kube_emulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/registry/local_registry.hpp"
#include "tests/support/temp_dir.hpp"

using namespace std::chrono_literals;
using namespace fluxd;
namespace fx = fluxd::test::gitfx;
namespace json = boost::json;

namespace {

/// Hostile text in a lock message: it must come out as text.
const std::string hostile = "<script>alert(1)</script> \"q\" & 'x'";

std::string deployment(const std::string& ns, const std::string& name,
                       const std::string& image,
                       const std::string& annotations = "") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name
         + "\n  namespace: " + ns
         + (annotations.empty() ? "" : "\n  annotations:\n" + annotations)
         + "\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: "
         + name + "\n  template:\n    metadata:\n      labels:\n        app: "
         + name + "\n    spec:\n      containers:\n      - name: " + name
         + "\n        image: " + image + "\n";
}

/// YAML double-quoted scalar.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

void push(const std::string& host, const std::string& repo,
          const std::string& tag, const std::string& created) {
  test::temp_dir layout{"fluxd-oci"};
  test::write_oci_layout(layout.path(), {{tag, created, {}}});
  test::skopeo_push(layout.path(), tag, host, repo);
}

int start_and_find_port(test::child_process& p) {
  int port = fluxd::test::fluxd_api_port(p, 10s);
  REQUIRE(port > 0);
  return port;
}

json::object* find_by(json::array& xs, const char* key,
                      const std::string& value) {
  for (auto& x : xs)
    if (x.as_object()[key].as_string() == value)
      return &x.as_object();
  return nullptr;
}

/// The DOM row holding `attr`.
std::string row_with(const std::string& dom, const std::string& attr) {
  auto at = dom.find(attr);
  if (at == std::string::npos)
    return {};
  auto start = dom.rfind("<tr", at);
  auto end = dom.find("</tr>", at);
  return dom.substr(start, end - start);
}

std::vector<std::string> chromium(const std::string& profile) {
  return {"chromium", "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--disable-breakpad", "--disable-extensions",
          "--no-first-run", "--user-data-dir=" + profile,
          "--virtual-time-budget=3000", "--window-size=1280,1800",
          "--hide-scrollbars"};
}

} // namespace

TEST_CASE("the page of a running fluxd shows workloads, an update, a sync "
          "error and a lock") {
  if (!test::have_program("chromium")) {
    WARN("SKIPPED: chromium is not installed (scripts/packages/ui.txt)");
    return;
  }
  test::temp_dir dir{"fluxd-ui-e2e"};
  test::kube_emulator::options eo;
  eo.rollout_delay = "100ms";
  test::kube_emulator emulator{dir.file("kubeconfig"), eo};
  test::local_registry reg;
  push(reg.host(), "demo/app", "1.0.0", "2024-01-01T00:00:00Z");
  push(reg.host(), "demo/app", "1.1.0", "2024-02-01T00:00:00Z");
  auto image = reg.host() + "/demo/app";

  fx::upstream up{
      dir.path(),
      "cluster",
      {{"deploy/app.yaml",
        deployment("default", "app", image + ":1.0.0",
                   "    fluxcd.io/tag.app: semver:~1")},
       {"deploy/locked.yaml",
        deployment("default", "locked", image + ":1.1.0",
                   "    fluxcd.io/locked: \"true\"\n"
                   "    fluxcd.io/locked_user: "
                       + quoted("Jane <jane@example.com>")
                       + "\n    fluxcd.io/locked_msg: " + quoted(hostile))},
       // A namespace that does not exist: the API refuses it.
       {"deploy/broken.yaml",
        deployment("nowhere", "broken", image + ":1.0.0")}}};

  test::child_process::options po;
  po.env["KUBECONFIG"] = emulator.kubeconfig();
  po.env["HOME"] = dir.path();
  test::child_process p{{test::bin_path("fluxd"), "--listen=127.0.0.1:0",
                         "--git-url=" + up.file_url(), "--git-branch=master",
                         "--git-path=deploy",
                         "--git-poll-interval=1s", "--sync-interval=1m",
                         "--registry-poll-interval=1m",
                         "--registry-insecure-host=" + reg.host(),
                         "--state-dir=" + dir.file("state")},
                        po};
  int port = start_and_find_port(p);
  httplib::Client cli("127.0.0.1", port);

  // Wait until the daemon knows everything the page must show.
  json::object doc;
  std::string last;
  auto deadline = std::chrono::steady_clock::now() + 45s;
  bool complete = false;
  while (!complete && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(250ms);
    auto res = cli.Get("/api/fluxd/v1/status");
    if (!res || res->status != 200)
      continue;
    last = res->body;
    doc = json::parse(res->body).as_object();
    auto& workloads = doc["workloads"].as_array();
    auto& images = doc["images"].as_array();
    auto& repos = doc["repositories"].as_array();
    auto* app = find_by(workloads, "id", "default:deployment/app");
    auto* pending = find_by(images, "workload", "default:deployment/app");
    complete = app && find_by(workloads, "id", "default:deployment/locked")
               && pending && pending->at("update_pending").as_bool()
               && !repos.empty()
               && !repos[0].as_object()["sync_errors"].as_array().empty()
               && !doc["registry_hosts"].as_array().empty();
  }
  INFO("fluxd log: " << p.stderr_text());
  INFO("last status: " << last);
  REQUIRE(complete);

  test::temp_dir profile{"fluxd-chromium"};
  test::child_process::options co;
  co.env["HOME"] = profile.path();
  auto url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto args = chromium(profile.path());
  args.push_back("--dump-dom");
  args.push_back(url);
  auto r = test::run(args, 60s, co);
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto& dom = r.out;
  INFO(dom);
  REQUIRE(dom.find("data-loaded=\"true\"") != std::string::npos);

  // The workloads and their rollout status.
  auto app = row_with(dom, "data-workload=\"default:deployment/app\"");
  REQUIRE_FALSE(app.empty());
  CHECK(app.find(image + ":1.0.0") != std::string::npos);
  CHECK(app.find("badge-") != std::string::npos);
  auto locked = row_with(dom, "data-workload=\"default:deployment/locked\"");
  CHECK(locked.find("data-state=\"locked\"") != std::string::npos);
  CHECK(locked.find("Jane &lt;jane@example.com&gt;") != std::string::npos);
  CHECK(locked.find("&lt;script&gt;alert(1)&lt;/script&gt;")
        != std::string::npos);
  // The pending update: 1.0.0 runs, 1.1.0 is allowed by semver:~1.
  auto pending = row_with(dom, "data-image=\"" + image + "\"");
  CHECK(pending.find("data-pending=\"true\"") != std::string::npos);
  CHECK(pending.find(">1.1.0<") != std::string::npos);
  // The sync error of the refused resource.
  auto repo = row_with(dom, "data-repository=\"" + up.file_url() + "\"");
  CHECK(repo.find("data-resource=\"nowhere:deployment/broken\"")
        != std::string::npos);
  CHECK(repo.find("broken.yaml") != std::string::npos);
  // The registry host.
  auto host = row_with(dom, "data-host=\"" + reg.host() + "\"");
  CHECK(host.find("data-state=\"ok\"") != std::string::npos);
  CHECK(host.find("1 repository") != std::string::npos);
  CHECK(dom.find("data-section=\"registry_hosts\" hidden")
        != std::string::npos);
  // Only the page's own script.
  size_t scripts = 0;
  for (auto at = dom.find("<script"); at != std::string::npos;
       at = dom.find("<script", at + 1))
    ++scripts;
  CHECK(scripts == 1);

  // The screenshot, for a person to look at.
  namespace fs = std::filesystem;
  fs::path out = fs::path{FLUXD_BINARY_DIR} / "tests" / "artifacts" / "ui";
  fs::create_directories(out);
  auto png = out / "fluxd_e2e.png";
  fs::remove(png);
  args = chromium(profile.path());
  args.push_back("--screenshot=" + png.string());
  args.push_back(url);
  auto shot = test::run(args, 60s, co);
  CHECK(shot.status == 0);
  CHECK(fs::exists(png));
  WARN("screenshot: " << png.string());

  p.signal(SIGTERM);
  CHECK(p.wait(10s) == std::optional<int>{0});
}
