#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace fluxd::test {

/// A running build/bin/kube-emulator on 127.0.0.1, for tests of anything
/// that talks to the Kubernetes API. Its kubeconfig holds two contexts,
/// "token" and "cert"; the current one is what `auth` accepts. Beside the
/// kubeconfig: `<kubeconfig>.ca.crt`, `.client.crt`, `.client.key`, `.token`.
class kube_emulator {
public:
  struct options {
    std::string auth = "token"; ///< "token" or "cert"
    std::string state_dir;      ///< "" for in-memory only
    std::string rollout_delay = "200ms";
    int port = 0; ///< 0: any free port
    std::vector<std::string> extra_args;
  };

  /// Starts the emulator writing its kubeconfig to `kubeconfig_path`;
  /// throws std::runtime_error when it does not come up in 20 s.
  kube_emulator(std::string kubeconfig_path, options opts);
  ~kube_emulator();

  const std::string& url() const { return url_; } ///< https://127.0.0.1:N
  int port() const { return port_; }
  const std::string& kubeconfig() const { return kubeconfig_; }
  std::string ca_path() const { return kubeconfig_ + ".ca.crt"; }
  std::string token() const;

  /// SIGTERM and wait; returns the exit status (0 on a clean stop).
  int stop();
  /// Starts it again with the same options (and the same port).
  void restart();
  child_process& process() { return *proc_; }

private:
  void start();

  std::string kubeconfig_;
  options opts_;
  std::unique_ptr<child_process> proc_;
  std::string url_;
  int port_ = 0;
};

} // namespace fluxd::test
