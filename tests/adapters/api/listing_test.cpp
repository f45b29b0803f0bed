// list-workloads and list-images rows from actor state (Flux v1 §3.4.1,
// §3.4.2): read-only reasons, policies from git, image orderings, counts
// and containerFields.

#include <catch2/catch.hpp>

#include "adapters/api/listing.hpp"

using namespace fluxd;
using api::git_view;

namespace {

api::live_workload_row live(std::string id, std::string image = "nginx:1") {
  api::live_workload_row w;
  w.id = std::move(id);
  w.containers = {{"app", std::move(image)}};
  w.status = "ready";
  w.rollout.desired = w.rollout.updated = w.rollout.ready = 1;
  w.rollout.available = 1;
  return w;
}

git_view ready_git() {
  git_view g;
  g.repo = git_view::repo_state::ready;
  g.policies["demo:deployment/a"] = {{"automated", "true"},
                                     {"tag.app", "semver:~1"}};
  g.policies["demo:deployment/b"] = {{"locked", "yes"}};
  return g;
}

constexpr int64_t sec = 1'000'000'000;

} // namespace

TEST_CASE("list-workloads: read-only reasons follow Flux v1's precedence") {
  std::vector<api::live_workload_row> rows{live("demo:deployment/a"),
                                           live("demo:deployment/zz")};
  git_view git = ready_git();
  auto out = api::workload_statuses(rows, git, {}, {});
  REQUIRE(out.size() == 2);
  CHECK(out[0].read_only == "");
  CHECK(out[1].read_only == "NotInRepo");
  git.readonly = true;
  out = api::workload_statuses(rows, git, {}, {});
  CHECK(out[0].read_only == "ReadOnlyMode");
  CHECK(out[1].read_only == "NotInRepo");
  git.repo = git_view::repo_state::not_ready;
  CHECK(api::workload_statuses(rows, git, {}, {})[0].read_only == "NotReady");
  git.repo = git_view::repo_state::no_repo;
  CHECK(api::workload_statuses(rows, git, {}, {})[0].read_only == "NoRepo");
}

TEST_CASE("list-workloads: policies from git, booleans only when exactly true") {
  std::vector<api::live_workload_row> rows{live("demo:deployment/b"),
                                           live("demo:deployment/a")};
  rows[0].labels = {{"app", "b"}};
  auto out = api::workload_statuses(
    rows, ready_git(), {{"demo:deployment/b", "apply failed: boom"}}, {});
  REQUIRE(out.size() == 2);
  CHECK(out[0].id == "demo:deployment/a"); // sorted by ID
  CHECK(out[0].automated);
  CHECK_FALSE(out[0].locked);
  CHECK(out[0].policies.at("tag.app") == "semver:~1");
  CHECK_FALSE(out[0].labels.has_value());
  CHECK(out[1].sync_error == "apply failed: boom");
  CHECK_FALSE(out[1].locked); // "yes" is not "true"
  CHECK(out[1].labels->at("app") == "b");
  CHECK(out[1].containers->at(0).current.id == "nginx:1");
  auto json = api::to_json(out);
  CHECK(json.find(R"("Policies":{"locked":"yes"})") != std::string::npos);
}

TEST_CASE("list-workloads: an ID filter keeps only those workloads") {
  std::vector<api::live_workload_row> rows{live("demo:deployment/a"),
                                           live("demo:deployment/b")};
  auto out = api::workload_statuses(rows, ready_git(), {},
                                    {"demo:deployment/b"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == "demo:deployment/b");
}

TEST_CASE("list-images: semver ordering, latest kept in Available only") {
  api::image_row row;
  row.workload = "demo:deployment/a";
  row.container = "app";
  row.current = "localhost:5000/app:1.0.0";
  row.pattern = "semver:~1";
  row.have_data = true;
  row.available = {{"1.0.0", 10 * sec}, {"latest", 40 * sec},
                   {"1.2.0", 20 * sec}, {"1.10.0", 5 * sec},
                   {"2.0.0", 30 * sec}};
  auto out = api::image_statuses({row}, "<all>", "", {});
  REQUIRE(out.size() == 1);
  auto& c = out[0].containers->at(0);
  CHECK(c.name == "app");
  CHECK(c.current.id == "localhost:5000/app:1.0.0");
  CHECK(c.current.created_at == 10 * sec);
  CHECK(c.latest_filtered.id == "localhost:5000/app:1.10.0");
  REQUIRE(c.available.size() == 5);
  CHECK(c.available[0].id == "localhost:5000/app:2.0.0");
  CHECK(c.available[1].id == "localhost:5000/app:1.10.0");
  CHECK(c.available_images_count == 5);
  CHECK(c.filtered_images_count == 3); // 1.0.0 1.2.0 1.10.0
  CHECK(c.new_filtered_images_count == 2);
  CHECK(c.available_error.empty());
}

TEST_CASE("list-images: time ordering counts the images newer than current") {
  api::image_row row;
  row.workload = "demo:deployment/a";
  row.container = "app";
  row.current = "app:b";
  row.pattern = "glob:*";
  row.have_data = true;
  row.available = {{"a", 1 * sec}, {"b", 2 * sec}, {"c", 3 * sec},
                   {"d", 4 * sec}};
  auto c = api::image_statuses({row}, "", "", {})[0].containers->at(0);
  CHECK(c.latest_filtered.id == "app:d");
  CHECK(c.new_available_images_count == 2);
  CHECK(c.new_filtered_images_count == 2);
}

TEST_CASE("list-images: containerFields limits what is computed") {
  api::image_row row;
  row.workload = "demo:deployment/a";
  row.container = "app";
  row.current = "app:1";
  row.have_data = true;
  row.available = {{"1", 1 * sec}, {"2", 2 * sec}};
  auto c = api::image_statuses({row}, "<all>", "",
                               {"Name", "LatestFiltered"})[0]
             .containers->at(0);
  CHECK(c.name == "app");
  CHECK(c.latest_filtered.id == "app:2");
  CHECK(c.current.id.empty());
  CHECK(c.available.empty());
  CHECK(c.available_images_count == 0);
}

TEST_CASE("list-images: spec, namespace and missing data") {
  api::image_row a, b;
  a.workload = "demo:deployment/a";
  a.container = "x";
  a.current = "app:1";
  b = a;
  b.workload = "other:deployment/b";
  b.have_data = false;
  CHECK(api::image_statuses({a, b}, "<all>", "", {}).size() == 2);
  CHECK(api::image_statuses({a, b}, "<all>", "other", {}).size() == 1);
  auto one = api::image_statuses({a, b}, "other:deployment/b", "", {});
  REQUIRE(one.size() == 1);
  auto& c = one[0].containers->at(0);
  CHECK(c.available_error == "image data not available");
  CHECK(c.current.id.empty());
  CHECK(api::image_statuses({a, b}, "demo:deployment/none", "", {}).empty());
}
