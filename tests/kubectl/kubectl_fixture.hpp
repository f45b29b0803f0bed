#pragma once

#include <string>
#include <vector>

#include "tests/support/kube_emulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

/// Skips a test, loudly, on machines without kubectl.
#define SKIP_WITHOUT_KUBECTL()                                                 \
  do {                                                                         \
    if (!fluxd::test::have_program("kubectl")) {                               \
      WARN("kubectl is not installed: skipping this test");                    \
      return;                                                                  \
    }                                                                          \
  } while (false)

namespace fluxd::test {

/// An emulator plus a kubectl with its own HOME, kubeconfig and cache dir.
struct kubectl_env {
  explicit kubectl_env(const std::string& auth = "token",
                       const std::string& state_dir = {})
      : dir("kubectl-test"),
        emulator(dir.file("kubeconfig"), make_options(auth, state_dir)) {}

  static kube_emulator::options make_options(const std::string& auth,
                                             const std::string& state_dir) {
    kube_emulator::options o;
    o.auth = auth;
    o.state_dir = state_dir;
    o.rollout_delay = "300ms";
    return o;
  }

  std::vector<std::string> kubectl_argv(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"kubectl", "--kubeconfig",
                                     emulator.kubeconfig(), "--cache-dir",
                                     dir.file("cache")};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  child_process::options process_options() const {
    child_process::options o;
    o.env["HOME"] = dir.path();
    o.env["KUBECONFIG"] = emulator.kubeconfig();
    return o;
  }

  run_result kubectl(std::vector<std::string> args) const {
    return run(kubectl_argv(std::move(args)), std::chrono::seconds(60),
               process_options());
  }

  temp_dir dir;
  kube_emulator emulator;
};

} // namespace fluxd::test
