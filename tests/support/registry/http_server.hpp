#pragma once

#include <memory>
#include <string>
#include <thread>

#include <httplib.h>

namespace fluxd::test {

/// An httplib::Server listening on 127.0.0.1:<port 0> in its own thread,
/// stopped and joined on scope exit.
class http_server {
public:
  http_server();
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Register handlers on it before start().
  httplib::Server& server() { return *server_; }
  void start();
  void stop();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

} // namespace fluxd::test
