#pragma once

#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace fluxd::test {

/// Smart-HTTP git server for tests: a small CGI host that runs
/// `git http-backend` for every request, on 127.0.0.1 and a port of its
/// own choosing. With `basic_auth` ("user:pass") every request must carry
/// those credentials (401 with an empty body otherwise: libgit2 1.5 fails
/// to parse a 401 that has a body), and pushes are allowed because the
/// backend then sees REMOTE_USER. Without it, pushes need the repository's
/// `http.receivepack=true`.
class git_http_server {
public:
  /// With `tls_cert`/`tls_key` (PEM files) it serves HTTPS; url() then
  /// names `localhost`, because libgit2 1.5 with mbedTLS does not match IP
  /// addresses in certificates.
  explicit git_http_server(std::string project_root,
                           std::string basic_auth = {},
                           const std::string& tls_cert = {},
                           const std::string& tls_key = {});
  ~git_http_server();
  git_http_server(const git_http_server&) = delete;
  git_http_server& operator=(const git_http_server&) = delete;

  int port() const { return port_; }
  /// http://127.0.0.1:<port>/<repo> or https://localhost:<port>/<repo>
  std::string url(const std::string& repo) const;

private:
  std::string root_;
  std::string auth_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool tls_ = false;
};

} // namespace fluxd::test
