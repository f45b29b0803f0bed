#include "adapters/manifests/verify.hpp"

#include <catch2/catch.hpp>

#include "adapters/manifests/editor.hpp"

using namespace fluxd::manifests;
using fluxd::image::parse_ref;

namespace {

const std::string multi =
  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n"
  "  template:\n    spec:\n      containers:\n"
  "      - {name: one, image: 'x:1'}\n      - {name: two, image: 'y:1'}\n"
  "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n";

} // namespace

TEST_CASE("release verification accepts exactly the intended edit") {
  auto before = load({{"m.yaml", multi}}, {});
  auto edited = set_container_image(multi, {"Deployment", "", "a"}, "two",
                                    parse_ref("y:2"));
  auto after = load({{"m.yaml", edited}}, {});
  CHECK_NOTHROW(verify_updates(before, after,
                               {{"default:deployment/a", "two",
                                 parse_ref("y:2")}}));
  // The same files checked against a different intention fail.
  CHECK_THROWS_WITH(verify_updates(before, after, {}),
                    Catch::Contains("failed to verify changes: resource "
                                    "default:deployment/a container \"two\" "
                                    "has image y:2, expected y:1"));
  CHECK_THROWS_WITH(
    verify_updates(before, after,
                   {{"default:deployment/a", "three", parse_ref("y:2")}}),
    Catch::Contains("failed to verify changes"));
}

TEST_CASE("release verification notices lost resources and containers") {
  auto before = load({{"m.yaml", multi}}, {});
  auto fewer = load({{"m.yaml", multi.substr(0, multi.find("---"))}}, {});
  CHECK_THROWS_WITH(verify_updates(before, fewer, {}),
                    Catch::Contains("default:service/s is missing"));
  std::string renamed = multi;
  renamed.replace(renamed.find("name: two"), 9, "name: tw0");
  CHECK_THROWS_WITH(verify_updates(before, load({{"m.yaml", renamed}}, {}), {}),
                    Catch::Contains("is \"tw0\", expected \"two\""));
}
