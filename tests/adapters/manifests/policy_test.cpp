#include "adapters/manifests/policy.hpp"

#include <catch2/catch.hpp>

#include "adapters/image/tag_filter.hpp"

using namespace fluxd::manifests;

TEST_CASE("policies are read from all three prefixes") {
  annotation_map ann = {
    {"fluxcd.io/automated", "true"},
    {"flux.weave.works/locked", "true"},
    {"flux.weave.works/locked_msg", "broken"},
    {"filter.fluxcd.io/app", "semver:~1"},
    {"fluxcd.io/tag.web", "glob:master-*"},
    {"flux.weave.works/tag.web", "glob:legacy-*"},
    {"fluxcd.io/ignore", "sync_only"},
    {"prometheus.io/scrape", "true"},
  };
  auto p = policies_of(ann);
  CHECK(policy_true(p, policy::automated));
  CHECK(policy_true(p, policy::locked));
  CHECK_FALSE(policy_true(p, policy::ignore));
  CHECK(p.at(policy::ignore) == "sync_only");
  CHECK(p.at(policy::locked_msg) == "broken");
  CHECK(tag_pattern(p, "app") == "semver:~1");
  CHECK(tag_pattern(p, "web") == "glob:master-*"); // fluxcd.io/ wins
  CHECK(tag_pattern(p, "other") == "glob:*");
  CHECK(p.count("scrape") == 0);
  auto cluster_side = policies_of(ann, true);
  CHECK_FALSE(policy_true(cluster_side, policy::locked));
  CHECK(policy_true(cluster_side, policy::automated));
  CHECK_FALSE(policy_true(policies_of({{"fluxcd.io/automated", "false"}}),
                          policy::automated));
  CHECK(tag_pattern({}, "x") == "glob:*");
}

TEST_CASE("policy updates become annotation changes (§4.4)") {
  using ch = annotation_change;
  const std::vector<std::string> containers = {"nginx", "sidecar"};
  SECTION("a new policy takes the fluxcd.io prefix") {
    auto c = annotation_changes({}, {{{"automated", "true"}}, {}}, &containers);
    CHECK(c == std::vector<ch>{{"fluxcd.io/automated", "true"}});
  }
  SECTION("an existing legacy key keeps its prefix") {
    auto c = annotation_changes({{"flux.weave.works/automated", "true"}},
                                {{{"automated", "true"}}, {}}, &containers);
    CHECK(c == std::vector<ch>{{"flux.weave.works/automated", "true"}});
  }
  SECTION("filter.fluxcd.io is reused for tags") {
    auto c = annotation_changes({{"filter.fluxcd.io/nginx", "glob:*"}},
                                {{{"tag.nginx", "semver:*"}}, {}},
                                &containers);
    CHECK(c == std::vector<ch>{{"filter.fluxcd.io/nginx", "semver:*"}});
  }
  SECTION("removal overrides addition and deletes every spelling") {
    auto c = annotation_changes(
      {{"fluxcd.io/locked", "true"}, {"flux.weave.works/locked", "true"}},
      {{{"locked", "true"}}, {{"locked", ""}}}, &containers);
    CHECK(c
          == std::vector<ch>{{"fluxcd.io/locked", std::nullopt},
                             {"flux.weave.works/locked", std::nullopt}});
  }
  SECTION("removing an absent policy changes nothing") {
    CHECK(annotation_changes({}, {{}, {{"automated", ""}}}, &containers)
            .empty());
  }
  SECTION("tag_all expands over containers") {
    auto c = annotation_changes({{"fluxcd.io/tag.sidecar", "glob:x"}},
                                {{{"tag_all", "semver:*"},
                                  {"tag.nginx", "glob:kept?"}},
                                 {}},
                                &containers);
    CHECK(c
          == std::vector<ch>{{"fluxcd.io/tag.nginx", "semver:*"},
                             {"fluxcd.io/tag.sidecar", "semver:*"}});
    auto g = annotation_changes({{"fluxcd.io/tag.sidecar", "glob:x"}},
                                {{{"tag_all", "glob:*"}}, {}}, &containers);
    CHECK(g == std::vector<ch>{{"fluxcd.io/tag.sidecar", std::nullopt}});
    CHECK_THROWS_WITH(annotation_changes({}, {{{"tag_all", "glob:*"}}, {}},
                                         nullptr, "default:service/s"),
                      "resource default:service/s does not have containers");
  }
  SECTION("invalid patterns are refused before any edit") {
    CHECK_THROWS_AS(annotation_changes({}, {{{"tag.nginx", "semver:invalid"}},
                                            {}},
                                       &containers),
                    fluxd::image::pattern_error);
    CHECK_THROWS_AS(annotation_changes({}, {{{"tag.nginx", "regexp:*"}}, {}},
                                       &containers),
                    fluxd::image::pattern_error);
    CHECK_NOTHROW(annotation_changes({}, {{{"tag.nginx", "foo"}}, {}},
                                     &containers));
  }
}
