#pragma once

#include "adapters/kube/config.hpp"
#include "adapters/kube/credentials.hpp"
#include "adapters/kube/rate_limiter.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

struct ssl_ctx_st;
using SSL_CTX = ssl_ctx_st;

namespace fluxd::kube::http1 {
class connection;
}

namespace fluxd::kube {

struct client_options {
  double qps = 50; ///< Flux v1's client: 50 QPS, burst 100
  int burst = 100;
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  /// Keep-alive connections kept for reuse; more are opened when more
  /// threads call at once, and closed when they come back to a full pool.
  std::size_t max_idle_connections = 16;
  /// Retries of 429/5xx answers that carry Retry-After.
  int max_retries = 3;
  std::string user_agent = "fluxd";
};

struct http_request {
  http_request() = default;
  http_request(std::string m, std::string p, std::string b = {},
               std::string type = {})
    : method(std::move(m)),
      path(std::move(p)),
      body(std::move(b)),
      content_type(std::move(type)) {
  }
  std::string method; ///< GET, POST, PUT, PATCH, DELETE
  std::string path;   ///< with the query string, already encoded
  std::string body;
  std::string content_type;
  std::string accept = "application/json";
  std::chrono::milliseconds timeout{0}; ///< 0: client_options::timeout
};

struct http_response {
  int status = 0;
  std::string content_type;
  std::string body;
};

/// Lets another thread abort a streaming request (a watch).
class stream_cancel {
public:
  /// Thread-safe; returns once the stream has let go of its connection or
  /// after a short grace, whichever comes first.
  void cancel();
  bool cancelled() const { return flag_.load(); }
  /// Sleeps for `d` or until cancelled, whichever comes first (a back-off
  /// or recheck pause that wakes for nothing else: no polling).
  void sleep_for(std::chrono::milliseconds d);

private:
  friend class transport;
  std::atomic<bool> flag_{false};
  std::mutex mtx_;
  std::condition_variable woken_;
  http1::connection* active_ = nullptr;
};

/// HTTPS to one API server: TLS as the config says, credentials on every
/// request, client-side rate limiting, a pool of keep-alive connections.
/// Thread-safe; each call blocks its thread.
class transport {
public:
  transport(rest_config cfg, client_options opts);
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  /// Any HTTP answer is returned; throws transport_error when there is
  /// none. Retries stale keep-alive connections, 429s with Retry-After, and
  /// a 401 once after refreshing rotating credentials.
  http_response send(const http_request& req);

  struct stream_result {
    int status = 0;
    std::string content_type;
    std::string error_body; ///< the body when status is not 2xx
    bool cancelled = false;
  };
  /// A long response delivered in pieces to `on_data` on this thread;
  /// `on_data` returns false to stop. Uses a connection of its own.
  stream_result stream(const http_request& req,
                       const std::function<bool(std::string_view)>& on_data,
                       stream_cancel* cancel = nullptr);

  /// Closes the idle keep-alive connections (the next calls open new ones).
  void close_idle();

  const rest_config& config() const { return cfg_; }
  const client_options& options() const { return opts_; }
  credential_source& credentials() { return creds_; }

  /// Connections opened so far (for tests of keep-alive reuse).
  std::uint64_t connections_opened() const { return opened_.load(); }

private:
  struct tls_state;
  struct connection;
  std::unique_ptr<connection> checkout(const credential& cred,
                                       bool& reused);
  void checkin(std::unique_ptr<connection> c);
  std::unique_ptr<connection> open(const credential& cred);
  SSL_CTX* tls_context(const credential& cred);
  std::string request_head(const http_request& req, const credential& cred,
                           bool close) const;

  rest_config cfg_;
  client_options opts_;
  credential_source creds_;
  rate_limiter limiter_;
  std::string scheme_;
  std::string host_;
  std::string host_header_; ///< host:port, as the Host header gives it
  int port_ = 0;
  std::string base_path_; ///< a proxy's prefix, e.g. /k8s/clusters/c-1
  std::unique_ptr<tls_state> tls_;
  std::mutex pool_mtx_;
  std::vector<std::unique_ptr<connection>> idle_;
  std::atomic<std::uint64_t> opened_{0};
};

/// Percent-encodes one query value.
std::string url_encode(std::string_view text);

} // namespace fluxd::kube
