#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/kubectl/kubectl_fixture.hpp"
#include "tests/support/process.hpp"

TEST_CASE("scripts/demo runs to the end by itself and every step happens") {
  SKIP_WITHOUT_KUBECTL();
  fluxd::test::child_process::options o;
  // The test's own build: no rebuild from inside ctest.
  o.env["FLUXD_BUILD_DIR"] = FLUXD_BINARY_DIR;
  o.env["FLUXD_DEMO_SKIP_BUILD"] = "1";
  auto r = fluxd::test::run({"sh", "-c", "exec \"$0\" </dev/null",
                             std::string(FLUXD_SOURCE_DIR) + "/scripts/demo"},
                            std::chrono::seconds(240), o);
  INFO(r.out << "\n--- stderr ---\n" << r.err);
  REQUIRE(r.status == 0);
  const std::vector<std::string> steps = {
      "== a git server (git daemon) with a sample repository",
      "== the Kubernetes API emulator",
      "== fluxd syncs the repository to the cluster",
      "sync marker flux-sync -> ",
      "image is now nginx:1.27",
      "reverted: image nginx:1.27",
      "== GET /readyz",
      "flux_daemon_sync_manifests",
      "demo finished: every step worked"};
  for (auto& s : steps) {
    INFO("missing: " << s);
    CHECK(r.out.find(s) != std::string::npos);
  }
  // Everything it started is stopped: nothing of the demo listens any more.
  CHECK(r.out.find("stopped everything the demo started") != std::string::npos);
}
