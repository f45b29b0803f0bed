#include "adapters/release/planner.hpp"

#include <catch2/catch.hpp>

#include "adapters/manifests/editor.hpp"
#include "fixtures.hpp"

using namespace fluxd;
using namespace fluxd::release;

namespace {

const std::string hello = "default:deployment/helloworld";
const std::string locked = "default:deployment/locked-service";
const std::string test_service = "default:deployment/test-service";
const std::string semver = "default:deployment/semver";

struct world {
  manifests::file_map files = fixtures::files();
  manifests::load_result git = manifests::load(files, fixtures::options());
  image_index images = fixtures::registry();
  cluster_view running = fixtures::cluster();
  release_inputs in() const { return {&git, &images, &running}; }
};

image_spec spec(std::vector<std::string> ws, std::string image,
                std::vector<std::string> excludes = {}, bool force = false) {
  image_spec s;
  s.workloads = std::move(ws);
  s.image = std::move(image);
  s.excludes = std::move(excludes);
  s.force = force;
  return s;
}

const workload_result& at(const release_plan& p, const std::string& id) {
  INFO("no result for " << id);
  REQUIRE(p.outcome.count(id));
  return p.outcome.at(id);
}

void expect(const release_plan& p, const std::string& id, workload_status st,
            const std::string& error) {
  INFO(id);
  CHECK(to_string(at(p, id).status) == to_string(st));
  CHECK(at(p, id).error == error);
}

/// Every result other than `except` has this status and text.
void expect_else(const release_plan& p, const std::set<std::string>& except,
                 workload_status st, const std::string& error) {
  for (auto& [id, r] : p.outcome)
    if (!except.count(id))
      expect(p, id, st, error);
}

const std::vector<container_update> hello_both = {
  {"greeter", "quay.io/weaveworks/helloworld:master-a000001",
   "quay.io/weaveworks/helloworld:master-a000002"},
  {"sidecar", "weaveworks/sidecar:master-a000001",
   "weaveworks/sidecar:master-a000002"}};

} // namespace

TEST_CASE("include a specific workload, all latest (§14.3)") {
  world w;
  auto p = plan_image_release(spec({hello}, all_latest), w.in());
  expect(p, hello, workload_status::success, "");
  CHECK(at(p, hello).per_container == hello_both);
  expect_else(p, {hello}, workload_status::ignored, text::not_included);
  REQUIRE(p.updates.size() == 1);
  CHECK(p.updates[0].file == "helloworld-deploy.yaml");
}

TEST_CASE("all, excluding locked-service (§14.3)") {
  world w;
  auto p = plan_image_release(spec({all_workloads}, all_latest, {locked}),
                              w.in());
  expect(p, hello, workload_status::success, "");
  expect(p, locked, workload_status::ignored, text::excluded);
  expect_else(p, {hello, locked}, workload_status::skipped,
              text::not_in_cluster);
}

TEST_CASE("all, with a specific image (§14.3)") {
  world w;
  auto p = plan_image_release(
    spec({all_workloads}, "quay.io/weaveworks/helloworld:master-a000002"),
    w.in());
  expect(p, hello, workload_status::success, "");
  CHECK(at(p, hello).per_container ==
        std::vector<container_update>{hello_both[0]});
  expect(p, locked, workload_status::ignored, text::different_image);
  expect_else(p, {hello, locked}, workload_status::skipped,
              text::not_in_cluster);
}

TEST_CASE("all latest; <all> overrides specific IDs (§14.3)") {
  world w;
  for (auto ws : {std::vector<std::string>{all_workloads},
                  std::vector<std::string>{hello, all_workloads}}) {
    auto p = plan_image_release(spec(ws, all_latest), w.in());
    expect(p, hello, workload_status::success, "");
    expect(p, locked, workload_status::skipped, text::locked);
    expect_else(p, {hello, locked}, workload_status::skipped,
                text::not_in_cluster);
  }
}

TEST_CASE("a workload not in the repository (§14.3)") {
  world w;
  const std::string missing = "default:deployment/notInRepo";
  auto p = plan_image_release(spec({missing}, all_latest), w.in());
  expect(p, missing, workload_status::skipped, text::not_in_repo);
  expect_else(p, {missing}, workload_status::ignored, text::not_included);
}

TEST_CASE("force overrides locks only for named workloads (§14.3)") {
  world w;
  const std::string img = "quay.io/weaveworks/locked-service:2";
  auto named = plan_image_release(spec({locked}, img, {}, true), w.in());
  expect(named, locked, workload_status::success, "");
  auto all = plan_image_release(spec({all_workloads}, img, {}, true), w.in());
  expect(all, locked, workload_status::skipped, text::locked);
  auto named_latest =
    plan_image_release(spec({locked}, all_latest, {}, true), w.in());
  expect(named_latest, locked, workload_status::success, "");
  auto all_l =
    plan_image_release(spec({all_workloads}, all_latest, {}, true), w.in());
  expect(all_l, locked, workload_status::skipped, text::locked);
}

TEST_CASE("force ignores filters only with a specific image (§14.3)") {
  world w;
  w.running = fixtures::cluster(true);
  const std::string img = "quay.io/weaveworks/helloworld:master-a000002";
  for (auto ws : {std::vector<std::string>{semver},
                  std::vector<std::string>{all_workloads}}) {
    auto p = plan_image_release(spec(ws, img, {}, true), w.in());
    expect(p, semver, workload_status::success, "");
    CHECK(at(p, semver).per_container[0].target == img);
  }
  auto latest =
    plan_image_release(spec({semver}, all_latest, {}, true), w.in());
  expect(latest, semver, workload_status::success, "");
  CHECK(at(latest, semver).per_container[0].target ==
        "quay.io/weaveworks/helloworld:3.0.0");
  // Without force the filter excludes the requested tag.
  auto unforced = plan_image_release(spec({semver}, img), w.in());
  expect(unforced, semver, workload_status::skipped, text::image_not_found);
}

TEST_CASE("image status texts (§14.3)") {
  world w;
  w.running[test_service] = {
    {{"test-service", "quay.io/weaveworks/test-service:1"}}, {}};
  auto p = plan_image_release(spec({all_workloads}, all_latest), w.in());
  expect(p, test_service, workload_status::ignored, text::does_not_use);

  // A registry holding only the running images: up to date.
  world current;
  current.images["quay.io/weaveworks/helloworld"] = {{"master-a000001"}, {}};
  current.images["index.docker.io/weaveworks/sidecar"] = {{"master-a000001"},
                                                         {}};
  current.images["quay.io/weaveworks/helloworld"].created["master-a000001"] =
    std::chrono::system_clock::now();
  current.images["index.docker.io/weaveworks/sidecar"]
    .created["master-a000001"] = std::chrono::system_clock::now();
  auto q = plan_image_release(spec({hello}, all_latest), current.in());
  expect(q, hello, workload_status::skipped, text::up_to_date);
}

TEST_CASE("an image not in the registry fails the whole release") {
  world w;
  const std::string img = "quay.io/weaveworks/helloworld:nope";
  REQUIRE_THROWS_WITH(plan_image_release(spec({hello}, img), w.in()),
                      "invalid image ID: image \"" + img +
                        "\" does not exist");
  REQUIRE_THROWS_AS(
    plan_image_release(spec({hello}, "example.com/none:1"), w.in()),
    release_error);
}

TEST_CASE("time-ordered tags without metadata: cannot find images") {
  world w;
  w.images["quay.io/weaveworks/helloworld"].created.erase("master-a000002");
  auto p = plan_image_release(spec({hello}, all_latest), w.in());
  // greeter is unknown but the sidecar (examined last) still updates.
  expect(p, hello, workload_status::success, "");
  CHECK(at(p, hello).per_container.size() == 1);
  CHECK(at(p, hello).per_container[0].container == "sidecar");
}

TEST_CASE("init containers, multidoc and List files update (§14.3)") {
  world w;
  w.running = fixtures::cluster(true);
  auto p = plan_image_release(spec({all_workloads}, all_latest), w.in());
  for (auto id : {"default:daemonset/init", "default:deployment/multi-deploy",
                  "default:deployment/list-deploy"})
    expect(p, id, workload_status::success, "");
  auto changed = apply_updates(w.files, p.updates, fixtures::options());
  CHECK(changed.count("init.yaml"));
  CHECK(changed.count("multi.yaml"));
  CHECK(changed.count("list.yaml"));
  CHECK(changed.at("list.yaml").find(
          "image: quay.io/weaveworks/helloworld:master-a000002") !=
        std::string::npos);
  // Only the image line changed in the multidoc file; its comment stays.
  CHECK(changed.at("multi.yaml").rfind("# two workloads in one file\n", 0) ==
        0);
  auto after = w.files;
  for (auto& [f, t] : changed)
    after[f] = t;
  auto reloaded = manifests::load(after, fixtures::options());
  CHECK(reloaded.resources.size() == w.git.resources.size());
}

TEST_CASE("git stands for the cluster when there is no cluster view") {
  world w;
  release_inputs in{&w.git, &w.images, nullptr};
  auto p = plan_image_release(spec({all_workloads}, all_latest), in);
  expect(p, test_service, workload_status::ignored, text::does_not_use);
  expect(p, hello, workload_status::success, "");
  expect(p, locked, workload_status::skipped, text::locked);
}

TEST_CASE("verification catches an edit that does not take") {
  world w;
  auto p = plan_image_release(spec({hello}, all_latest), w.in());
  // A container that is not in the manifest cannot be verified.
  p.updates[0].containers.push_back(
    {"ghost", "x:1", "quay.io/weaveworks/helloworld:master-a000002"});
  CHECK_THROWS(apply_updates(w.files, p.updates, fixtures::options()));
}

TEST_CASE("containers spec (§14.3 Test_UpdateContainers)") {
  world w;
  auto both = [](std::string greeter_current) {
    containers_spec s;
    s.kind = release_kind::execute;
    s.containers[hello] = {
      {"greeter", greeter_current,
       "quay.io/weaveworks/helloworld:master-a000002"},
      {"sidecar", "weaveworks/sidecar:master-a000001",
       "weaveworks/sidecar:master-a000002"}};
    return s;
  };
  for (bool skip : {true, false}) {
    INFO("skip mismatches " << skip);
    auto ok = both("quay.io/weaveworks/helloworld:master-a000001");
    ok.skip_mismatches = skip;
    auto p = plan_containers_release(ok, w.in());
    expect(p, hello, workload_status::success, "");
    CHECK(at(p, hello).per_container == hello_both);

    auto wrong = both("quay.io/weaveworks/helloworld:master-a000000");
    wrong.skip_mismatches = skip;
    if (skip) {
      auto q = plan_containers_release(wrong, w.in());
      expect(q, hello, workload_status::success,
             "container(s) tag mismatch: greeter");
      CHECK(at(q, hello).per_container.size() == 1);
    } else {
      REQUIRE_THROWS_WITH(plan_containers_release(wrong, w.in()),
                          "cannot satisfy specs");
    }

    containers_spec unknown;
    unknown.skip_mismatches = skip;
    unknown.containers[hello] = {{"foo", "", "x:2"}};
    REQUIRE_THROWS_WITH(plan_containers_release(unknown, w.in()),
                        "cannot satisfy specs");

    containers_spec same;
    same.skip_mismatches = skip;
    same.containers[hello] = {
      {"greeter", "", "quay.io/weaveworks/helloworld:master-a000001"}};
    REQUIRE_THROWS_WITH(plan_containers_release(same, w.in()),
                        "no changes found");

    containers_spec lock;
    lock.skip_mismatches = skip;
    lock.containers[locked] = {
      {"locked-service", "", "quay.io/weaveworks/locked-service:2"}};
    REQUIRE_THROWS_WITH(plan_containers_release(lock, w.in()),
                        "no changes found");
    lock.force = true;
    auto forced = plan_containers_release(lock, w.in());
    expect(forced, locked, workload_status::success, "");
  }
}

TEST_CASE("auto spec edits git's containers, skips locked ones") {
  world w;
  auto_spec a;
  a.changes = {{hello, "greeter", "quay.io/weaveworks/helloworld:master-a000001",
                "quay.io/weaveworks/helloworld:master-a000002"},
               {locked, "locked-service", "quay.io/weaveworks/locked-service:1",
                "quay.io/weaveworks/locked-service:2"},
               {"default:deployment/gone", "c", "a:1", "a:2"}};
  auto p = plan_auto_release(a, w.in());
  expect(p, hello, workload_status::success, "");
  expect(p, locked, workload_status::skipped, text::locked);
  expect(p, "default:deployment/gone", workload_status::skipped,
         text::not_in_repo);
  // Already at the target: nothing to do.
  a.changes = {{hello, "sidecar", "", "weaveworks/sidecar:master-a000001"}};
  auto q = plan_auto_release(a, w.in());
  expect(q, hello, workload_status::skipped, text::up_to_date);
}
