#pragma once

#include <memory>

#include "adapters/http/server.hpp"
#include "adapters/ui/routes.hpp"
#include "tests/adapters/ui/fixtures.hpp"

namespace fluxd::test {

/// fluxd's HTTP server on 127.0.0.1:0 with the status page routes and a
/// provider returning the fixed sample snapshot (or the given provider).
class page_server {
public:
  explicit page_server(std::string token = {},
                       ui::status_provider provider = sample_snapshot) {
    http::server::options o;
    o.listen = "127.0.0.1:0";
    srv_ = std::make_unique<http::server>(o);
    ui::add_routes(*srv_, {std::move(provider), std::move(token)});
    srv_->start();
  }

  int port() const { return srv_->port(); }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }

private:
  std::unique_ptr<http::server> srv_;
};

} // namespace fluxd::test
