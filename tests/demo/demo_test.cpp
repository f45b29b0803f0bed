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
  // One line per step the issue asks for, in order.
  const std::vector<std::string> steps = {
      "pushed 127.0.0.1:",        // a registry with an image
      "serving git://127.0.0.1:", // a git server
      "== the Kubernetes API emulator",
      "sync marker flux-sync -> ",    // first sync
      "image is now nginx:1.27",      // a commit applied
      "reverted: image nginx:1.27",   // drift put back
      "demo:deployment/pinned",       // list-workloads
      "commit ",                      // fluxd's commit of 1.0.1
      "applied: web runs 127.0.0.1:", // ... applied
      "pinned still runs 127.0.0.1:", // the lock held
      "'-> 1.0.1",                    // list-images
      "flux_daemon_sync_manifests",   // metrics
      "demo finished: every step worked"};
  size_t at = 0;
  for (auto& s : steps) {
    INFO("missing, or out of order: " << s);
    auto found = r.out.find(s, at);
    CHECK(found != std::string::npos);
    if (found != std::string::npos)
      at = found;
  }
  // fluxd's own commit, changing web's image to 1.0.1.
  auto commit = r.out.find(" by fluxd: ");
  CHECK(commit != std::string::npos);
  CHECK(r.out.find("/demo/web:1.0.1\n", commit) != std::string::npos);
  // Everything it started is stopped: nothing of the demo listens any more.
  CHECK(r.out.find("stopped everything the demo started") != std::string::npos);
}
