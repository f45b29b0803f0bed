#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

#include "tests/adapters/ui/page_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

// The page in a real browser: headless Chromium loads it from an in-process
// fluxd HTTP server, runs app.js (which fetches the status JSON), and dumps
// the resulting DOM, which we check as text.

using namespace fluxd;

namespace {

const char* chromium_program() {
  for (auto name : {"chromium", "chromium-browser"})
    if (test::have_program(name))
      return name;
  return nullptr;
}

std::vector<std::string> chromium_args(const std::string& profile) {
  return {chromium_program(), "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--disable-breakpad", "--disable-extensions",
          "--no-first-run", "--no-default-browser-check",
          "--user-data-dir=" + profile,
          // The page's first fetch and render fit easily in this budget.
          "--virtual-time-budget=3000", "--window-size=1280,1700",
          // The page's console (CSP violations, uncaught errors) on stderr.
          "--enable-logging=stderr", "--v=0"};
}

/// The DOM after app.js ran, as Chromium serialises it.
std::string dump_dom(const std::string& url) {
  test::temp_dir profile{"fluxd-chromium"};
  auto args = chromium_args(profile.path());
  args.push_back("--dump-dom");
  args.push_back(url);
  test::child_process::options opts;
  opts.env["HOME"] = profile.path();
  auto r = test::run(args, std::chrono::seconds(60), opts);
  INFO("chromium stderr: " << r.err);
  REQUIRE(r.status == 0);
  REQUIRE(r.out.find("</html>") != std::string::npos);
  // The page runs under its own CSP without a violation or a script error.
  CHECK(r.err.find("Content Security Policy") == std::string::npos);
  CHECK(r.err.find("Uncaught") == std::string::npos);
  return r.out;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1))
    ++n;
  return n;
}

/// The opening tag of the element carrying `attr`, e.g.
/// `data-workload="prod:deployment/api"`, and everything up to its row end.
std::string row_with(const std::string& dom, const std::string& attr) {
  auto at = dom.find(attr);
  if (at == std::string::npos)
    return {};
  auto start = dom.rfind("<tr", at);
  auto end = dom.find("</tr>", at);
  return dom.substr(start, end - start);
}

#define REQUIRE_CHROMIUM()                                                     \
  if (!chromium_program()) {                                                   \
    WARN("SKIPPED: chromium is not installed (scripts/packages/ui.txt)");      \
    return;                                                                    \
  }

} // namespace

TEST_CASE("the page renders the status in headless Chromium") {
  REQUIRE_CHROMIUM();
  test::page_server s;
  auto dom = dump_dom(s.url("/"));
  INFO(dom);
  REQUIRE(dom.find("data-loaded=\"true\"") != std::string::npos);
  CHECK(dom.find("data-state=\"live\"") != std::string::npos);

  // Every workload, with its rollout status.
  for (auto id : {"default:deployment/web", "prod:deployment/api",
                  "jobs:statefulset/worker"})
    CHECK(dom.find("data-workload=\"" + std::string{id} + "\"")
          != std::string::npos);
  auto web = row_with(dom, "data-workload=\"default:deployment/web\"");
  CHECK(web.find("data-state=\"automated\"") != std::string::npos);
  CHECK(web.find(">automated<") != std::string::npos);
  CHECK(web.find(">ready<") != std::string::npos);
  CHECK(web.find("drift corrected 3") != std::string::npos);
  CHECK(web.find("href=\"https://github.com/acme/cluster/blob/"
                 "0123456789abcdef0123456789abcdef01234567/apps/"
                 "web%20deployment.yaml\"")
        != std::string::npos);

  // The sync error, shown as such.
  auto worker = row_with(dom, "data-workload=\"jobs:statefulset/worker\"");
  CHECK(worker.find("data-state=\"sync-error\"") != std::string::npos);
  CHECK(worker.find("data-field=\"sync-error\"") != std::string::npos);
  CHECK(worker.find("apply failed: spec.replicas: Invalid value: -1")
        != std::string::npos);

  // The locked workload, with user and message; the message is hostile
  // markup and must come out as text.
  auto api = row_with(dom, "data-workload=\"prod:deployment/api\"");
  CHECK(api.find("data-state=\"locked\"") != std::string::npos);
  CHECK(api.find(">locked<") != std::string::npos);
  CHECK(api.find("Jane &lt;jane@example.com&gt;") != std::string::npos);
  CHECK(api.find("&lt;script&gt;alert(1)&lt;/script&gt; \"quoted\" &amp; "
                 "'single' &lt;img src=x onerror=alert(2)&gt;")
        != std::string::npos);
  CHECK(count(dom, "<script") == 1); // app.js only
  CHECK(dom.find("<img") == std::string::npos);

  // The pending update.
  auto image = row_with(dom, "data-image=\"ghcr.io/acme/web\"");
  CHECK(image.find("data-pending=\"true\"") != std::string::npos);
  CHECK(image.find(">1.1.0<") != std::string::npos);
  CHECK(image.find("update pending") != std::string::npos);

  // The repository's own sync errors: a resource and a file.
  auto repo = row_with(dom, "data-repository=\"https://github.com/");
  CHECK(repo.find("data-resource=\"default:service/web\"")
        != std::string::npos);
  CHECK(repo.find("Service \"web\" is invalid") != std::string::npos);
  CHECK(repo.find("href=\"https://github.com/acme/cluster/blob/"
                  "0123456789abcdef0123456789abcdef01234567/apps/"
                  "web%20service.yaml\"")
        != std::string::npos);
  CHECK(repo.find("data-resource=\"apps/broken.yaml\"") != std::string::npos);
  // worker, the service, the broken file and the unreachable repository.
  CHECK(dom.find("<span class=\"stat-value\">4</span><span "
                 "class=\"stat-label\">sync errors</span>")
        != std::string::npos);

  // Repository (no credentials), events and the registry host.
  CHECK(dom.find("s3cr3t") == std::string::npos);
  CHECK(dom.find("fetch: connection refused") != std::string::npos);
  CHECK(count(dom, "data-kind=\"") == 4);
  CHECK(dom.find("data-kind=\"failure\"") != std::string::npos);
  auto host = row_with(dom, "data-host=\"ghcr.io\"");
  CHECK(host.find("data-state=\"backing-off\"") != std::string::npos);
  CHECK(host.find("backing off") != std::string::npos);
  CHECK(host.find("datetime=\"2026-11-28T16:00:30Z\"") != std::string::npos);
  CHECK(host.find("429 Too Many Requests") != std::string::npos);
  CHECK(host.find("31 in the last minute") != std::string::npos);
  CHECK(host.find("2 / 17") != std::string::npos);
  CHECK(host.find("0 left (registry limit)") != std::string::npos);
  CHECK(host.find("3 repositories") != std::string::npos);
  auto quay = row_with(dom, "data-host=\"quay.io\"");
  CHECK(quay.find("data-state=\"not-answering\"") != std::string::npos);
  CHECK(quay.find(">not answering<") != std::string::npos);
  CHECK(quay.find("did not answer: &lt;script&gt;") != std::string::npos);
}

TEST_CASE("with an API token the page asks for it and shows no data") {
  REQUIRE_CHROMIUM();
  test::page_server s{"t0k3n-value"};
  auto dom = dump_dom(s.url("/ui/"));
  INFO(dom);
  CHECK(dom.find("data-state=\"auth-required\"") != std::string::npos);
  CHECK(dom.find("data-loaded") == std::string::npos);
  auto form = dom.find("<form id=\"token-form\"");
  REQUIRE(form != std::string::npos);
  auto form_tag = dom.substr(form, dom.find('>', form) - form);
  CHECK(form_tag.find("hidden") == std::string::npos);
  CHECK(dom.find("default:deployment/web") == std::string::npos);
}

TEST_CASE("a screenshot of the page is saved as a test artifact") {
  REQUIRE_CHROMIUM();
  test::page_server s;
  namespace fs = std::filesystem;
  fs::path dir = fs::path{FLUXD_BINARY_DIR} / "tests" / "artifacts" / "ui";
  fs::create_directories(dir);
  auto png = dir / "status_page.png";
  fs::remove(png);
  test::temp_dir profile{"fluxd-chromium"};
  auto args = chromium_args(profile.path());
  args.push_back("--hide-scrollbars");
  args.push_back("--screenshot=" + png.string());
  args.push_back(s.url("/"));
  test::child_process::options opts;
  opts.env["HOME"] = profile.path();
  auto r = test::run(args, std::chrono::seconds(60), opts);
  INFO("chromium stderr: " << r.err);
  REQUIRE(r.status == 0);
  REQUIRE(fs::exists(png));
  auto bytes = test::read_file(png.string());
  REQUIRE(bytes.size() > 1000);
  CHECK(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  WARN("screenshot: " << png.string());
}

TEST_CASE("sections the daemon does not report say so instead of empty") {
  REQUIRE_CHROMIUM();
  test::page_server s{"", [] {
                        ui::status_snapshot snap;
                        snap.daemon.version = "0.1.0";
                        snap.daemon.ready = true;
                        snap.unavailable = {"workloads", "registry_hosts"};
                        return snap;
                      }};
  auto dom = dump_dom(s.url("/"));
  INFO(dom);
  REQUIRE(dom.find("data-loaded=\"true\"") != std::string::npos);
  auto note = [&](const std::string& section) {
    auto at = dom.find("data-section=\"" + section + "\"");
    REQUIRE(at != std::string::npos);
    auto start = dom.rfind('<', at);
    return dom.substr(start, dom.find("</p>", at) - start);
  };
  CHECK(note("workloads").find("hidden") == std::string::npos);
  CHECK(note("workloads").find("Not reported") != std::string::npos);
  CHECK(note("registry_hosts").find("Not reported") != std::string::npos);
  CHECK(note("images").find("hidden") != std::string::npos);
  CHECK(dom.find("No images.") != std::string::npos);
  CHECK(dom.find(">ready<") != std::string::npos);
  CHECK(dom.find("null") == std::string::npos);
}

TEST_CASE("the workload filter from the URL hides the other workloads") {
  REQUIRE_CHROMIUM();
  test::page_server s;
  auto dom = dump_dom(s.url("/#filter=PROD"));
  INFO(dom);
  REQUIRE(dom.find("data-loaded=\"true\"") != std::string::npos);
  auto row_tag = [&](const std::string& id) {
    auto row = row_with(dom, "data-workload=\"" + id + "\"");
    return row.substr(0, row.find('>'));
  };
  CHECK(row_tag("prod:deployment/api").find("hidden") == std::string::npos);
  CHECK(row_tag("default:deployment/web").find("hidden") != std::string::npos);
  CHECK(row_tag("jobs:statefulset/worker").find("hidden") != std::string::npos);
  CHECK(dom.find("2 workload(s) hidden by the filter.") != std::string::npos);
}
