#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "adapters/tls/cert_authority.hpp"
#include "tests/kube_emulator/store.hpp"

namespace httplib {
class DataSink;
class SSLServer;
struct Request;
struct Response;
} // namespace httplib

namespace kube_emulator {

struct watch_state;

struct server_config {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string auth = "token"; ///< "token" or "cert": the credential accepted
  std::string token;
  fluxd::tls::cert_and_key ca;
  fluxd::tls::cert_and_key serving;
  std::chrono::milliseconds bookmark_interval{5000};
  bool log_requests = false;
};

/// The HTTPS front: authentication, routing, discovery, CRUD and watch.
/// One thread per connection, so long watches never starve other calls.
class api_server {
public:
  api_server(store& objects, server_config config);
  ~api_server();

  /// Binds the listening socket; returns the port.
  int bind();
  /// Serves until stop(); returns when every connection has ended.
  void run();
  /// Thread-safe; also ends watch streams.
  void stop();

private:
  void handle(const httplib::Request& req, httplib::Response& res);
  void handle_resource(const httplib::Request& req, httplib::Response& res,
                       const std::string& group, const std::string& version,
                       const std::vector<std::string>& rest);
  void start_watch(const httplib::Request& req, httplib::Response& res,
                   const resource_type& type, const std::string& ns);
  /// One step of a watch stream: initial events, then what the store's
  /// event log brings, bookmarks, the end at the deadline.
  bool stream_watch(watch_state& st, httplib::DataSink& sink);
  bool authenticated(const httplib::Request& req) const;
  /// The reply to a write: the stored object, serialised once for it and
  /// its watch event.
  void send_object(httplib::Response& res, int code, const object_ptr& obj);

  store& store_;
  server_config config_;
  std::unique_ptr<httplib::SSLServer> http_;
  std::atomic<bool> stopping_{false};
  /// Requests by method since start, for `GET /debug/requests` (tests
  /// count the writes a client sends).
  std::atomic<long> gets_{0}, writes_{0}, deletes_{0};
};

struct table_request;
/// The Table options of a request that asked for `version`.
table_request table_options(const httplib::Request& req,
                            const std::string& version);

/// Writes `body` with `code`; "application/json" bodies under 128 KiB are
/// marked so that httplib does not gzip them.
void send_text(httplib::Response& res, int code, std::string body,
               const char* type);
/// Writes `body` as the JSON response with `code`.
void send_json(httplib::Response& res, int code, const json::value& body);
void send_error(httplib::Response& res, const api_error& e);

} // namespace kube_emulator
