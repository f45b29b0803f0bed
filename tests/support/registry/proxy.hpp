#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "tests/support/registry/http_server.hpp"

namespace fluxd::test {

/// A forwarding HTTP proxy in front of a real registry, so tests can count
/// requests and inject faults while the real thing answers the rest.
/// `before` may answer a request itself (return true); `after` may rewrite
/// the upstream's answer.
class registry_proxy {
public:
  using before_fn =
    std::function<bool(const httplib::Request&, httplib::Response&)>;
  using after_fn =
    std::function<void(const httplib::Request&, httplib::Response&)>;

  explicit registry_proxy(std::string upstream_url, before_fn before = {},
                          after_fn after = {});

  std::string host() const { return server_.host(); }
  int port() const { return server_.port(); }

  /// Requests seen, by kind: "ping", "tags", "manifest", "blob", "other",
  /// prefixed by the method for HEAD ("HEAD manifest").
  int count(const std::string& kind) const;
  int total() const;
  void reset_counts();

  /// What kind of registry request a path is.
  static std::string kind_of(const std::string& method,
                             const std::string& path);

private:
  void forward(const httplib::Request& req, httplib::Response& res);

  std::string upstream_;
  before_fn before_;
  after_fn after_;
  mutable std::mutex mtx_;
  std::map<std::string, int> counts_;
  http_server server_;
};

/// A `before` hook for Distribution 2.8, which ignores `n=`: serves tag
/// lists in pages of at most `page_size` (or the client's smaller `n`), with
/// OCI `Link` headers, from the upstream's full list.
registry_proxy::before_fn paging_hook(std::string upstream_url,
                                      int page_size);

} // namespace fluxd::test
