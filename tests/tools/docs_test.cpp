#include <catch2/catch.hpp>

#include "adapters/config/daemon_config.hpp"
#include "tests/support/temp_dir.hpp"

TEST_CASE("docs/configuration.md is generated from the flag table") {
  auto on_disk = fluxd::test::read_file(std::string{FLUXD_SOURCE_DIR}
                                        + "/docs/configuration.md");
  INFO("docs/configuration.md is out of date: run scripts/gen-docs");
  CHECK(on_disk == fluxd::config::flags_reference_markdown());
}
