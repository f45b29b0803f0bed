#pragma once

#include <functional>
#include <memory>

#include "adapters/api/routes.hpp"
#include "adapters/http/server.hpp"
#include "tests/adapters/api/fixture_daemon.hpp"

namespace fluxd::test {

/// fluxd's real HTTP server on 127.0.0.1:0 with the API routes answered by
/// a fixture_daemon. Uses the default metrics registry: the server caches
/// its histogram family per registry address, so short-lived registries
/// could be confused with one another.
struct api_server {
  explicit api_server(
    api::route_options opts = {},
    std::function<void(http::server&, api::daemon_api&)> extra = {}) {
    http::server::options o;
    o.listen = "127.0.0.1:0";
    srv = std::make_unique<http::server>(o);
    api::install_routes(*srv, daemon, opts);
    if (extra)
      extra(*srv, daemon);
    srv->start();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(srv->port()) + "/api/flux";
  }
  fixture_daemon daemon;
  std::unique_ptr<http::server> srv;
};

} // namespace fluxd::test
