#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>

#include "adapters/ui/sources.hpp"
#include "tests/adapters/api/fixture_daemon.hpp"

// The status page's view of a daemon_api, checked against the API suite's
// fixture daemon (Flux v1's e2e workloads).

using namespace fluxd;

namespace {

/// The fixture daemon with one hostile lock message, one pending update and
/// a failing list_images when asked.
class ui_daemon : public test::fixture_daemon {
public:
  ui_daemon() {
    auto& podinfo = workloads[0];
    podinfo.policies["locked_user"] = "Jane <jane@example.com>";
    podinfo.policies["locked_msg"] = "<script>alert(1)</script> \"q\"";
    podinfo.sync_error = "apply: exit status 1";
    podinfo.rollout.desired = 3;
    podinfo.rollout.ready = 1;
    auto& ghost = images[1].containers->at(0);
    ghost.latest_filtered.id = "bitnami/ghost:3.2.0-debian-9-r0";
  }

  std::vector<api::image_status>
  list_images(const std::string& spec, const std::string& ns,
              const std::vector<std::string>& fields) override {
    if (fail_images)
      throw std::runtime_error("list_images: registry cache timed out");
    return fixture_daemon::list_images(spec, ns, fields);
  }

  bool fail_images = false;
};

const ui::workload_status* find(const ui::status_snapshot& s,
                                const std::string& id) {
  for (auto& w : s.workloads)
    if (w.id == id)
      return &w;
  return nullptr;
}

} // namespace

TEST_CASE("the snapshot carries the daemon's workloads and policies") {
  ui_daemon d;
  ui::status_snapshot s;
  ui::fill_from_api(s, d);
  CHECK(s.daemon.version == "1.25.4");
  REQUIRE(s.repositories.size() == 1);
  CHECK(s.repositories[0].url
        == "ssh://git@gitsrv/git-server/repos/cluster.git");
  CHECK(s.repositories[0].branch == "master");
  CHECK(s.repositories[0].paths == std::vector<std::string>{"workloads"});
  CHECK(s.repositories[0].status == "ready");

  REQUIRE(s.workloads.size() == 4);
  auto* podinfo = find(s, "demo:deployment/podinfo");
  REQUIRE(podinfo);
  CHECK(podinfo->rollout_status == "ready");
  CHECK(podinfo->rollout_message == "1 of 3 replicas ready");
  CHECK(podinfo->policy.automated);
  CHECK(podinfo->policy.locked);
  CHECK(podinfo->policy.locked_user == "Jane <jane@example.com>");
  CHECK(podinfo->policy.locked_message == "<script>alert(1)</script> \"q\"");
  CHECK(podinfo->policy.tag_filters.at("podinfod") == "semver:~3.1");
  CHECK(podinfo->policy.tag_filters.at("init") == "regex:^3.10.*");
  CHECK(podinfo->sync_error == "apply: exit status 1");
  REQUIRE(podinfo->containers.size() == 2);
  CHECK(podinfo->containers[0].name == "podinfod");
  CHECK(podinfo->containers[0].image == "stefanprodan/podinfo:3.1.0");
  CHECK(s.unavailable.empty());
}

TEST_CASE("an image is pending when the newest allowed tag differs") {
  ui_daemon d;
  ui::status_snapshot s;
  ui::fill_from_api(s, d);
  // Containers without a current image (the fixture's bare ones) are left
  // out: there is nothing to compare.
  REQUIRE(s.images.size() == 2);
  auto& podinfo = s.images[0];
  CHECK(podinfo.workload == "demo:deployment/podinfo");
  CHECK(podinfo.repository == "stefanprodan/podinfo");
  CHECK(podinfo.current_tag == "3.1.0");
  CHECK(podinfo.newest_tag == "3.1.0");
  CHECK_FALSE(podinfo.update_pending);
  auto& ghost = s.images[1];
  CHECK(ghost.repository == "bitnami/ghost");
  CHECK(ghost.current_tag == "3.1.1-debian-9-r0");
  CHECK(ghost.newest_tag == "3.2.0-debian-9-r0");
  CHECK(ghost.update_pending);
}

TEST_CASE("a section the daemon cannot answer is marked unavailable") {
  ui_daemon d;
  d.fail_images = true;
  ui::status_snapshot s;
  ui::fill_from_api(s, d);
  CHECK(s.images.empty());
  CHECK(s.unavailable == std::vector<std::string>{"images"});
  CHECK(s.workloads.size() == 4); // the rest is still there
}

TEST_CASE("a cached provider builds once per max age") {
  std::atomic<int> builds{0};
  auto provider = ui::cached(
      [&builds] {
        ui::status_snapshot s;
        s.daemon.version = std::to_string(++builds);
        return s;
      },
      std::chrono::hours(1));
  CHECK(provider().daemon.version == "1");
  CHECK(provider().daemon.version == "1");
  CHECK(builds == 1);

  auto fresh = ui::cached(
      [&builds] {
        ++builds;
        return ui::status_snapshot{};
      },
      std::chrono::milliseconds(0));
  fresh();
  fresh();
  CHECK(builds == 3);
}

TEST_CASE("the daemon section shows what is not ready and why") {
  health::readiness ready;
  ready.set("api", true);
  ready.set("git", false, "cloning");
  ui::status_snapshot s;
  ui::fill_daemon(s, ready, "0.1.0", ui::time_point{std::chrono::seconds{5}});
  CHECK(s.daemon.version == "0.1.0");
  CHECK_FALSE(s.daemon.ready);
  CHECK(s.daemon.not_ready
        == std::map<std::string, std::string>{{"git", "cloning"}});
  ready.set("git", true);
  ui::status_snapshot later;
  ui::fill_daemon(later, ready, "0.1.0", {});
  CHECK(later.daemon.ready);
  CHECK(later.daemon.not_ready.empty());
}
