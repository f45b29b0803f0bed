#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

/// Registry auth pieces that need no network: challenge parsing, token
/// responses and the token cache.
namespace fluxd::registry {

/// A parsed `WWW-Authenticate` header: `Bearer realm="…",service="…"`.
struct challenge {
  std::string scheme; ///< lower case: "bearer", "basic", or empty (none)
  std::map<std::string, std::string> params; ///< keys lower case

  std::string param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? std::string{} : it->second;
  }
};

/// Values may be quoted and contain `,` and `:`; keys are case-insensitive.
challenge parse_challenge(std::string_view header);

/// The parts of a token endpoint response we use.
struct token_response {
  std::string token;
  std::chrono::seconds expires_in{60};
};

/// Accepts `token` or `access_token`; `expires_in` defaults to 60 s.
/// Throws registry_error(bad_response) naming `origin`.
token_response parse_token_response(std::string_view body,
                                    const std::string& origin);

/// Bearer tokens keyed by (realm, service, scope), kept until shortly before
/// they expire.
class token_cache {
public:
  using clock = std::chrono::steady_clock;

  std::optional<std::string> get(const std::string& key,
                                 clock::time_point now) const;
  void put(const std::string& key, std::string token,
           std::chrono::seconds expires_in, clock::time_point now);
  void erase(const std::string& key) { entries_.erase(key); }
  size_t size() const { return entries_.size(); }

  static std::string key(const std::string& realm, const std::string& service,
                         const std::string& scope) {
    return realm + "\n" + service + "\n" + scope;
  }

private:
  struct entry {
    std::string token;
    clock::time_point expires;
  };
  std::map<std::string, entry> entries_;
};

} // namespace fluxd::registry
