#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "adapters/health/readiness.hpp"
#include "adapters/metrics/registry.hpp"

namespace fluxd::http {

/// fluxd's HTTP listener(s): the Flux API under /api/flux, /metrics,
/// /healthz and /readyz. Routes are plain callbacks; the server knows
/// nothing about actors. Each request is timed into
/// flux_request_duration_seconds by its Flux v1 route name.
class server {
public:
  using handler
    = std::function<void(const httplib::Request&, httplib::Response&)>;

  struct options {
    std::string listen = ":3030";
    std::string listen_metrics; ///< empty: /metrics on `listen`
    metrics::registry* registry = &metrics::default_registry();
    health::readiness* readiness = nullptr;
    size_t worker_threads = 8;
  };

  explicit server(options opts);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Adds a route before start(). `pattern` is a regex over the full path
  /// (e.g. "/api/flux/v6/services"); `name` is the route label in metrics.
  void route(const std::string& method, const std::string& pattern,
             const std::string& name, handler h);

  /// Binds every listener (throws naming the address on failure) and serves
  /// on background threads. After start() returns, connects succeed.
  void start();

  /// Stops accepting, finishes in-flight requests, joins the threads.
  void stop();

  /// A route as added, for generated documentation (docs/http-api.md).
  struct route_info {
    std::string method;
    std::string pattern;
    std::string name;
  };
  /// The built-in routes (/metrics, /healthz, /readyz) and every route()
  /// added so far, in that order.
  std::vector<route_info> route_table() const;

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }

private:
  void install(httplib::Server& srv, bool api, bool metrics);

  options opts_;
  struct route_def {
    std::string method;
    std::string pattern;
    std::string name;
    handler fn;
  };
  std::vector<route_def> routes_;
  std::unique_ptr<httplib::Server> api_;
  std::unique_ptr<httplib::Server> metrics_;
  std::thread api_thread_;
  std::thread metrics_thread_;
  int port_ = 0;
  int metrics_port_ = 0;
  metrics::family<metrics::histogram>* request_duration_ = nullptr;
};

} // namespace fluxd::http
