#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "caf/all.hpp"

#include "actors/registry_scanner.hpp"
#include "adapters/image/ref.hpp"
#include "adapters/image/tag_filter.hpp"
#include "tests/registry_actors/harness.hpp"
#include "tests/support/registry/proxy.hpp"

using namespace fluxd;
using namespace fluxd::test;
using namespace std::chrono_literals;

TEST_CASE("the scanner resolves image spellings to one repository actor",
          "[registry][actors]") {
  local_registry reg;
  push_one(reg.host(), "demo/app", "v1");
  push_one(reg.host(), "demo/app", "v2");
  temp_dir state;
  harness h;
  registry_scanner_config sc;
  sc.state_dir = state.path();
  sc.plain_http_hosts = {reg.host()};
  sc.exclude = {"*/demo/excluded"};
  sc.poll_interval = 1h;
  sc.trace = true;
  auto lines = std::make_shared<std::vector<std::string>>();
  auto lines_mtx = std::make_shared<std::mutex>();
  log::set_sink([lines, lines_mtx](std::string_view line) {
    std::lock_guard<std::mutex> g{*lines_mtx};
    lines->emplace_back(line);
  });
  auto scanner = h.sys->spawn(registry_scanner, sc);
  h.spawned.push_back(caf::actor_cast<caf::actor>(scanner));
  auto image = reg.host() + "/demo/app:v1";
  auto first = h.ask<registry_scanner_actor, repo_snapshot>(
    scanner, watch_repo_atom_v, image, h.listen(std::make_shared<inbox>()),
    true);
  CHECK(first.repository == reg.host() + "/demo/app");
  repo_snapshot s;
  for (int i = 0; i < 1000 && s.images.size() < 2; ++i) {
    s = h.ask<registry_scanner_actor, repo_snapshot>(
      scanner, caf::get_atom_v, reg.host() + "/demo/app@sha256:abc");
    std::this_thread::sleep_for(10ms);
  }
  CHECK(s.tags == std::vector<std::string>{"v1", "v2"});
  CHECK(s.images.size() == 2);
  // The detached writer persists it soon after.
  registry::metadata_cache disk{state.path()};
  size_t stored = 0;
  for (int i = 0; i < 500 && stored < 2; ++i) {
    if (auto r = disk.load(reg.host() + "/demo/app"))
      stored = r->images.size();
    std::this_thread::sleep_for(10ms);
  }
  CHECK(stored == 2);

  log::set_sink(nullptr);
  {
    // --registry-trace logged the requests.
    std::lock_guard<std::mutex> g{*lines_mtx};
    CHECK(std::any_of(lines->begin(), lines->end(), [](const std::string& l) {
      return l.find("registry request") != std::string::npos
             && l.find("/v2/demo/app/tags/list") != std::string::npos;
    }));
  }

  caf::scoped_actor self{*h.sys};
  auto expect_error = [&](const std::string& img, const std::string& text) {
    self->request(scanner, 10s, caf::get_atom_v, img)
      .receive([&](repo_snapshot&) { FAIL("no error for " << img); },
               [&](caf::error& e) {
                 CHECK(e == caf::error{registry_errc::config});
                 CHECK(h.sys->render(e).find(text) != std::string::npos);
               });
  };
  expect_error(reg.host() + "/demo/excluded:v1", "excluded");
  expect_error("", "blank image name");
}

namespace {

std::vector<std::string> order(const repo_snapshot& s,
                               const std::string& pattern) {
  std::vector<image::candidate> all;
  for (auto& tag : s.tags) {
    image::candidate c;
    c.image = image::parse_ref(s.repository + ":" + tag);
    if (auto m = find_meta(s, tag))
      c.created = registry::time_point{
        std::chrono::duration_cast<registry::time_point::duration>(
          m->created.time_since_epoch())};
    all.push_back(std::move(c));
  }
  std::vector<std::string> out;
  for (auto& c : image::tag_filter{pattern}.filter_and_sort(all))
    out.push_back(c.image.tag);
  return out;
}

} // namespace

TEST_CASE("every filter kind orders what image_repo serves, and only time "
          "orderings cost manifests", "[registry][actors]") {
  local_registry reg;
  std::vector<test_image> images{{"1.2.0", "2024-01-01T00:00:00Z", {}},
                                 {"1.10.0", "2023-06-01T00:00:00Z", {}},
                                 {"2.0.0-rc1", "2024-05-01T00:00:00Z", {}},
                                 {"build-7", "2024-03-01T00:00:00Z", {}},
                                 {"build-10", "2024-02-01T00:00:00Z", {}},
                                 {"latest", "2024-06-01T00:00:00Z", {}}};
  temp_dir layout{"fluxd-oci"};
  write_oci_layout(layout.path(), images);
  for (auto& img : images)
    skopeo_push(layout.path(), img.tag, reg.host(), "demo/app");
  registry_proxy proxy{reg.url()};
  harness h;
  auto host = h.host(proxy.host());
  auto repo = h.repo(host, proxy.host(), "demo/app", nullptr);

  // Semver, alphabetical and numerical policies: tag names are enough.
  for (auto pattern : {"semver:~1", "alphabetical:asc", "numerical:asc"})
    CHECK_FALSE(image::tag_filter{pattern}.needs_created());
  h.ask<image_repo_actor, repo_snapshot>(
    repo, watch_repo_atom_v, h.listen(std::make_shared<inbox>()), false);
  auto s = h.wait_for(repo, [](auto& s) { return s.scans >= 1; });
  CHECK(order(s, "semver:~1") == std::vector<std::string>{"1.10.0", "1.2.0"});
  CHECK(order(s, "semver:>=2.0.0-0")
        == std::vector<std::string>{"2.0.0-rc1"});
  CHECK(order(s, "alphabetical:asc")
        == std::vector<std::string>{"build-7", "build-10", "2.0.0-rc1",
                                    "1.2.0", "1.10.0"});
  CHECK(order(s, "alphabetical:desc").front() == "1.10.0");
  CHECK(proxy.count("manifest") == 0);

  // A glob policy subscribes with needs_created: metadata is fetched.
  CHECK(image::tag_filter{"glob:*"}.needs_created());
  h.ask<image_repo_actor, repo_snapshot>(
    repo, watch_repo_atom_v, h.listen(std::make_shared<inbox>()), true);
  s = h.wait_for(repo, [](auto& s) { return s.images.size() == 6; });
  CHECK(order(s, "glob:*")
        == std::vector<std::string>{"2.0.0-rc1", "build-7", "build-10",
                                    "1.2.0", "1.10.0"});
  CHECK(order(s, "regexp:^build-")
        == std::vector<std::string>{"build-7", "build-10"});
  CHECK(order(s, "glob:latest") == std::vector<std::string>{"latest"});
  CHECK(proxy.count("manifest") == 6);
}

TEST_CASE("scanner settings come from fluxd's flags", "[registry][actors]") {
  temp_dir dir;
  write_file(dir.file("config.json"),
             R"({"auths":{"https://index.docker.io/v1/":{"auth":")"
               + registry::base64_encode("hub:pw") + R"("}}})");
  config::daemon_config flags;
  flags.state_dir = dir.path();
  flags.registry_rps = 7;
  flags.registry_burst = 3;
  flags.registry_concurrency = 2;
  flags.registry_poll_interval = 90s;
  flags.registry_insecure_host = {"localhost:5000"};
  flags.registry_platform = "linux/arm64/v8";
  flags.docker_config = dir.file("config.json");
  auto secrets = std::make_shared<registry::static_credentials>();
  secrets->add("ghcr.io", {"pod", "secret"});
  secrets->add("docker.io", {"pod-hub", "x"});
  auto sc = scanner_config(flags, secrets);
  CHECK(sc.rps == 7);
  CHECK(sc.burst == 3);
  CHECK(sc.concurrency == 2);
  CHECK(sc.poll_interval == 90s);
  CHECK_FALSE(sc.trace);
  CHECK(sc.exclude == std::vector<std::string>{"k8s.gcr.io/*"});
  CHECK(sc.want_platform.architecture == "arm64");
  CHECK(sc.want_platform.variant == "v8");
  CHECK(sc.credentials->find("ghcr.io")->username == "pod");
  // Pull secrets win over --docker-config defaults.
  CHECK(sc.credentials->find("registry-1.docker.io")->username == "pod-hub");
  auto defaults_only = scanner_config(flags);
  CHECK(defaults_only.credentials->find("index.docker.io")->username == "hub");
  // A docker config that does not parse is ignored, not fatal.
  write_file(dir.file("config.json"), "{broken");
  CHECK_FALSE(scanner_config(flags).credentials->find("index.docker.io"));
}
