#pragma once

#include <atomic>
#include <map>
#include <string>

#include "tests/support/registry/http_server.hpp"

namespace fluxd::test {

/// A Docker token server (distribution's auth/token.md) for the registry's
/// `auth: token` mode: an RSA key and self-signed certificate made at start
/// (write `cert_path()` as the registry's rootcertbundle), RS256 JWTs with
/// the libtrust `kid` of the key. Known users get what they ask for;
/// anonymous callers get pull only.
class token_server {
public:
  static constexpr const char* issuer = "test-issuer";
  static constexpr const char* service = "test-registry";

  /// `cert_path`: where to write the signing certificate (PEM).
  token_server(std::string cert_path, std::map<std::string, std::string> users,
               int expires_in_seconds = 300);
  ~token_server();

  std::string realm() const { return server_.url() + "/token"; }
  const std::string& cert_path() const { return cert_path_; }
  int requests() const { return requests_.load(); }

private:
  struct keys;
  std::string cert_path_;
  std::map<std::string, std::string> users_;
  int expires_in_;
  std::unique_ptr<keys> keys_;
  std::atomic<int> requests_{0};
  http_server server_;
};

} // namespace fluxd::test
