#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include "adapters/tls/cert_authority.hpp"
#include "tests/support/temp_dir.hpp"

namespace fluxd::test {

/// One request as the receiver saw it.
struct received {
  std::string path;
  std::string body;
  httplib::Headers headers;
  std::string header(const std::string& key) const {
    auto it = headers.find(key);
    return it == headers.end() ? std::string{} : it->second;
  }
};

/// What to answer: status and extra headers.
struct answer {
  int status = 200;
  httplib::Headers headers;
};

/// A webhook receiver on 127.0.0.1 (port 0), http or https with a CA of
/// its own. Every request is recorded; `script` answers the first ones
/// (then 200). Stopped on scope exit.
class webhook_receiver {
public:
  explicit webhook_receiver(bool tls = false) {
    if (tls) {
      ca_ = tls::make_ca("notify test CA");
      tls::cert_request req;
      req.common_name = "127.0.0.1";
      req.ip_addresses = {"127.0.0.1"};
      req.server = true;
      auto leaf = tls::issue(ca_, req);
      write_file(dir_.file("ca.pem"), ca_.cert_pem);
      write_file(dir_.file("cert.pem"), leaf.cert_pem);
      write_file(dir_.file("key.pem"), leaf.key_pem);
      server_ = std::make_unique<httplib::SSLServer>(
          dir_.file("cert.pem").c_str(), dir_.file("key.pem").c_str());
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    server_->Post(".*", [this](const httplib::Request& rq,
                               httplib::Response& rs) {
      answer a;
      {
        std::lock_guard<std::mutex> lock{mtx_};
        got_.push_back({rq.path, rq.body, rq.headers});
        if (!script_.empty()) {
          a = script_.front();
          script_.pop_front();
        }
      }
      cv_.notify_all();
      {
        // A held receiver answers nothing until released (or 20 s).
        std::unique_lock<std::mutex> lock{mtx_};
        cv_.wait_for(lock, std::chrono::seconds(20), [&] { return !held_; });
      }
      rs.status = a.status;
      for (auto& [k, v] : a.headers)
        rs.set_header(k.c_str(), v);
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread{[this] { server_->listen_after_bind(); }};
    // Connections queue in the listen backlog until the thread accepts.
  }

  ~webhook_receiver() {
    release();
    server_->stop();
    thread_.join();
  }

  /// Answers for the next requests, in order.
  void script(std::vector<answer> answers) {
    std::lock_guard<std::mutex> lock{mtx_};
    script_.assign(answers.begin(), answers.end());
  }

  /// Requests from now on wait for release() before they are answered.
  void hold() {
    std::lock_guard<std::mutex> lock{mtx_};
    held_ = true;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock{mtx_};
      held_ = false;
    }
    cv_.notify_all();
  }

  std::string url(const std::string& path = "/hook") const {
    return std::string{tls_() ? "https" : "http"}
           + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string ca_file() const { return dir_.file("ca.pem"); }

  std::vector<received> requests() const {
    std::lock_guard<std::mutex> lock{mtx_};
    return got_;
  }

  /// Waits until `n` requests came (false after `limit`).
  bool wait_for(size_t n,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, limit, [&] { return got_.size() >= n; });
  }

private:
  bool tls_() const { return !ca_.cert_pem.empty(); }

  temp_dir dir_{"fluxd-notify"};
  tls::cert_and_key ca_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<received> got_;
  std::deque<answer> script_;
  bool held_ = false;
};

/// A port on 127.0.0.1 that refuses connections (bound, then closed
/// without listening).
inline int refused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

} // namespace fluxd::test
