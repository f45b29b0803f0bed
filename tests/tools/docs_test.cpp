#include <catch2/catch.hpp>

#include "adapters/config/daemon_config.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/tools/generated_sections.hpp"

TEST_CASE("docs/configuration.md is generated from the flag table") {
  auto on_disk = fluxd::test::read_file(std::string{FLUXD_SOURCE_DIR}
                                        + "/docs/configuration.md");
  INFO("docs/configuration.md is out of date: run scripts/gen-docs");
  CHECK(on_disk == fluxd::config::flags_reference_markdown());
}

TEST_CASE("the generated parts of docs/fluxctl.md and docs/http-api.md are "
          "current") {
  for (auto& s : fluxd::docs::sections()) {
    auto on_disk =
        fluxd::test::read_file(std::string{FLUXD_SOURCE_DIR} + "/" + s.file);
    INFO(s.file << " (" << s.name << ") is out of date: run scripts/gen-docs");
    CHECK(on_disk == fluxd::docs::splice(on_disk, s.name, s.generate()));
  }
}

TEST_CASE("a route registered without documentation fails the generator") {
  auto routes = fluxd::docs::all_routes();
  CHECK(routes.size() == fluxd::api::route_docs().size());
  routes.push_back({"GET", "/api/flux/v12/new", "New"});
  CHECK_THROWS_WITH(fluxd::api::routes_markdown(routes),
                    Catch::Contains("GET /api/flux/v12/new (undocumented)"));
  routes.erase(routes.begin());
  CHECK_THROWS_WITH(fluxd::api::routes_markdown(routes),
                    Catch::Contains("GET /metrics (not registered)"));
}
