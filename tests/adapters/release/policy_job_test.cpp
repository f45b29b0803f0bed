#include "adapters/release/policy_job.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "adapters/image/tag_filter.hpp"
#include "adapters/release/commit.hpp"

using namespace fluxd;
using namespace fluxd::release;

namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(FLUXD_RELEASE_TESTDATA) + "/" + name,
                   std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string podinfo = "demo:deployment/podinfo";
const std::string legacy = "demo:deployment/legacy";

policy_outcome run(const policy_spec& s) {
  manifests::file_map files{{"workloads/podinfo.yaml", read("podinfo.in.yaml")}};
  return apply_policies(s, files, {});
}

std::string after(const policy_spec& s) {
  auto out = run(s);
  REQUIRE(out.changed.count("workloads/podinfo.yaml"));
  return out.changed.at("workloads/podinfo.yaml");
}

} // namespace

TEST_CASE("policy edits match the expected files byte for byte") {
  struct row {
    const char* expected;
    policy_spec spec;
  };
  const row rows[] = {
    {"deautomate.out.yaml", {{podinfo, {{}, {{"automated", "true"}}}}}},
    {"lock.out.yaml",
     {{podinfo,
       {{{"locked", "true"},
         {"locked_user", "Jane <jane@example.com>"},
         {"locked_msg", "hold on"}},
        {}}}}},
    {"unlock_legacy.out.yaml",
     {{legacy,
       {{},
        {{"locked", "true"}, {"locked_user", "true"}, {"locked_msg", "true"}}}}}},
    {"tag_all.out.yaml", {{podinfo, {{{"tag_all", "glob:3.5.*"}}, {}}}}},
    {"tag_all_star.out.yaml", {{podinfo, {{{"tag_all", "glob:*"}}, {}}}}},
  };
  for (auto& r : rows) {
    INFO(r.expected);
    // FLUXD_WRITE_GOLDEN=1 writes the files for review instead.
    if (std::getenv("FLUXD_WRITE_GOLDEN")) {
      std::ofstream(std::string(FLUXD_RELEASE_TESTDATA) + "/" + r.expected,
                    std::ios::binary)
        << after(r.spec);
      continue;
    }
    CHECK(after(r.spec) == read(r.expected));
  }
}

TEST_CASE("policy job results, skips and failures (§4.4)") {
  // Adding what is there changes nothing: skipped, no files.
  auto same = run({{podinfo, {{{"automated", "true"}}, {}}}});
  CHECK(same.changed.empty());
  CHECK(same.outcome.at(podinfo).status == workload_status::skipped);
  CHECK(same.added_automated);

  auto missing = run({{"demo:deployment/none", {{{"locked", "true"}}, {}}},
                      {legacy, {{{"automated", "true"}}, {}}}});
  CHECK(missing.outcome.at("demo:deployment/none").status ==
        workload_status::skipped);
  CHECK(missing.outcome.at(legacy).status == workload_status::success);

  REQUIRE_THROWS_WITH(run({{podinfo, {{{"tag.podinfod", "semver:~~1"}}, {}}}}),
                      Catch::Contains("invalid tag pattern"));

  // Both workloads in one file: one edit after the other.
  auto both = run({{podinfo, {{{"locked", "true"}}, {}}},
                   {legacy, {{}, {{"locked", "true"}}}}});
  CHECK(both.outcome.at(podinfo).status == workload_status::success);
  CHECK(both.outcome.at(legacy).status == workload_status::success);
  update_spec s;
  s.spec = policy_spec{{podinfo, {{{"locked", "true"}}, {}}},
                       {legacy, {{}, {{"locked", "true"}}}}};
  CHECK(commit_message(s, both.outcome) ==
        "Updated workload policies\n\n- Locked: demo:deployment/podinfo\n"
        "- Unlocked: demo:deployment/legacy\n");
}
