#include "adapters/manifests/editor.hpp"

#include <catch2/catch.hpp>

#include "adapters/image/tag_filter.hpp"

using namespace fluxd::manifests;

namespace {

using pairs = std::vector<std::pair<std::string, std::string>>;

/// A Deployment with comments in awkward places and unsorted container
/// keys; `ann` becomes its annotations block (none when empty).
std::string nginx(const pairs& ann) {
  std::string out = "---\napiVersion: apps/v1\nkind: Deployment\n"
                    "metadata: # comment right next to the edit\n"
                    "  name: nginx";
  if (!ann.empty()) {
    out += "\n  annotations:";
    for (const auto& [k, v] : ann)
      out += "\n    " + k + ": " + v;
  }
  out += "\nspec:\n  replicas: 1\n  template:\n    metadata: # comment2\n"
         "      labels:\n        name: nginx\n    spec:\n      containers:\n"
         "      - image: nginx  # keys deliberately unsorted\n"
         "        name: nginx   # and commented\n        ports:\n"
         "        - containerPort: 80\n";
  return out;
}

} // namespace

TEST_CASE("policy updates edit annotations as Flux v1 (§14.1 table)") {
  struct row {
    const char* name;
    pairs in;
    pairs out;
    policy_update update;
  };
  const row rows[] = {
    {"add with others",
     {{"prometheus.io/scrape", "'false'"}},
     {{"prometheus.io/scrape", "'false'"}, {"fluxcd.io/automated", "'true'"}},
     {{{"automated", "true"}}, {}}},
    {"existing legacy key keeps its prefix",
     {{"flux.weave.works/automated", "'true'"}},
     {{"flux.weave.works/automated", "'true'"}},
     {{{"automated", "true"}}, {}}},
    {"legacy key and others",
     {{"flux.weave.works/automated", "'true'"},
      {"prometheus.io/scrape", "'false'"}},
     {{"flux.weave.works/automated", "'true'"},
      {"prometheus.io/scrape", "'false'"}},
     {{{"automated", "true"}}, {}}},
    {"first annotation", {}, {{"fluxcd.io/automated", "'true'"}},
     {{{"automated", "true"}}, {}}},
    {"add and remove",
     {{"flux.weave.works/automated", "'true'"},
      {"prometheus.io/scrape", "'false'"}},
     {{"prometheus.io/scrape", "'false'"}, {"fluxcd.io/locked", "'true'"}},
     {{{"locked", "true"}}, {{"automated", "true"}}}},
    {"remove overrides add", {}, {},
     {{{"locked", "true"}}, {{"locked", "true"}}}},
    {"remove with others",
     {{"fluxcd.io/automated", "true"}, {"prometheus.io/scrape", "false"}},
     {{"prometheus.io/scrape", "false"}},
     {{}, {{"automated", "true"}}}},
    {"remove last", {{"fluxcd.io/automated", "true"}}, {},
     {{}, {{"automated", "true"}}}},
    {"remove absent", {}, {}, {{}, {{"automated", "true"}}}},
    {"remove absent with others", {{"prometheus.io/scrape", "false"}},
     {{"prometheus.io/scrape", "false"}}, {{}, {{"automated", "true"}}}},
    {"multiline", {{"fluxcd.io/locked_msg", "|-\n      first\n      second"}},
     {}, {{}, {{"locked_msg", "foo"}}}},
    {"multiline with empty line",
     {{"fluxcd.io/locked_msg", "|-\n      first\n\n      third"}}, {},
     {{}, {{"locked_msg", "foo"}}}},
    {"add tag", {}, {{"fluxcd.io/tag.nginx", "glob:*"}},
     {{{"tag.nginx", "glob:*"}}, {}}},
    {"add raw tag", {}, {{"fluxcd.io/tag.nginx", "foo"}},
     {{{"tag.nginx", "foo"}}, {}}},
    {"add semver tag", {}, {{"fluxcd.io/tag.nginx", "semver:*"}},
     {{{"tag.nginx", "semver:*"}}, {}}},
    {"add regexp tag", {}, {{"fluxcd.io/tag.nginx", "regexp:(.*?)"}},
     {{{"tag.nginx", "regexp:(.*?)"}}, {}}},
    {"alternative prefix kept", {{"filter.fluxcd.io/nginx", "glob:*"}},
     {{"filter.fluxcd.io/nginx", "glob:*"}},
     {{{"tag.nginx", "glob:*"}}, {}}},
    {"tag_all", {}, {{"fluxcd.io/tag.nginx", "semver:*"}},
     {{{"tag_all", "semver:*"}}, {}}},
    {"change keeps double quotes", {{"fluxcd.io/tag.nginx", "\"glob:1.*\""}},
     {{"fluxcd.io/tag.nginx", "\"semver:~1\""}},
     {{{"tag.nginx", "semver:~1"}}, {}}},
  };
  edit_target target{"Deployment", "default", "nginx"};
  for (const auto& r : rows) {
    INFO(r.name);
    auto in = nginx(r.in);
    CHECK(update_policies(in, target, r.update) == nginx(r.out));
  }
}

TEST_CASE("invalid tag patterns are refused before the file is touched") {
  edit_target target{"Deployment", "default", "nginx"};
  CHECK_THROWS_AS(
    update_policies(nginx({}), target, {{{"tag.nginx", "semver:invalid"}}, {}}),
    fluxd::image::pattern_error);
  CHECK_THROWS_AS(
    update_policies(nginx({}), target, {{{"tag.nginx", "regexp:*"}}, {}}),
    fluxd::image::pattern_error);
  CHECK_THROWS_WITH(
    update_policies("kind: Service\nmetadata: {name: s}\n",
                    {"Service", "", "s"}, {{{"tag_all", "semver:*"}}, {}}),
    "resource default:service/s does not have containers");
  CHECK_THROWS_WITH(update_policies(nginx({}), {"Deployment", "", "other"},
                                    {{{"automated", "true"}}, {}}),
                    Catch::Contains("manifest not found"));
}
