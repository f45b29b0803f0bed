#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fluxd::test {

/// A small HTTP proxy on 127.0.0.1 and a port of its own choosing, for
/// tests of clients that honour HTTP(S)_PROXY: `CONNECT host:port`
/// tunnels (https) and absolute-URI requests forwarded one per connection
/// (http). It only reaches loopback targets; anything else gets 403.
class http_proxy {
public:
  http_proxy();
  ~http_proxy();
  http_proxy(const http_proxy&) = delete;
  http_proxy& operator=(const http_proxy&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  int tunnels() const { return tunnels_; }   ///< CONNECTs served
  int forwards() const { return forwards_; } ///< plain requests forwarded

private:
  void accept_loop();
  void serve(int client);

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> tunnels_{0};
  std::atomic<int> forwards_{0};
  std::thread acceptor_;
  std::mutex mtx_;
  std::vector<std::thread> workers_;
  std::vector<int> open_; ///< sockets to shut down on stop
};

} // namespace fluxd::test
