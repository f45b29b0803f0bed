#pragma once

#include "adapters/kube/config.hpp"
#include "tests/adapters/kube/test_pki.hpp"
#include "tests/support/temp_dir.hpp"

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <httplib.h>

namespace fluxd::test {

/// A small HTTPS server on 127.0.0.1:0 for client tests that need exact
/// control over answers (errors, timeouts, scripted watch streams). The
/// real API semantics are tested against kube-emulator.
class fake_api {
public:
  struct options {
    bool require_client_cert = false;
    int port = 0; ///< 0: any free port
    /// How long an idle keep-alive connection holds a server thread (and
    /// so delays stop()).
    int keep_alive_seconds = 5;
  };
  explicit fake_api(options opts);
  fake_api() : fake_api(options{}) {}
  ~fake_api();

  /// Add routes before start().
  httplib::Server& server() { return *server_; }
  void start();
  void stop();
  int port() const { return port_; }

  /// server + CA of this fake, no credentials.
  kube::rest_config config() const;
  static const test_pki& pki();

  /// Distinct client ports seen: one per TCP connection.
  std::size_t connections() const;

  /// Serves /api, /apis and the resource lists: core v1 (namespaces,
  /// configmaps) and apps/v1 (deployments); aggregated when the client asks.
  void serve_discovery(bool aggregated);
  int discovery_requests() const;

private:
  options opts_;
  temp_dir dir_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mtx_;
  std::set<int> ports_;
  int discovery_requests_ = 0;
};

} // namespace fluxd::test
