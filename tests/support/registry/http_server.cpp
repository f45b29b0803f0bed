#include "tests/support/registry/http_server.hpp"

#include <chrono>
#include <stdexcept>

namespace fluxd::test {

http_server::http_server() : server_(std::make_unique<httplib::Server>()) {
}

http_server::~http_server() {
  stop();
}

void http_server::start() {
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0)
    throw std::runtime_error("http_server: cannot bind 127.0.0.1:0");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 500 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

void http_server::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

} // namespace fluxd::test
