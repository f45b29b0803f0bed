#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/registry/auth.hpp"
#include "adapters/registry/client.hpp"

namespace fluxd::registry {

/// What the clients of one host share (see client_options::shared).
class session {
public:
  struct ping_result {
    bool pinged = false;
    std::string origin; ///< scheme://api
    challenge auth;     ///< scheme empty = anonymous
  };

  ping_result get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return ping_;
  }
  void set(ping_result p) {
    std::lock_guard<std::mutex> guard{mtx_};
    ping_ = std::move(p);
  }
  void set_auth(const challenge& c) {
    std::lock_guard<std::mutex> guard{mtx_};
    ping_.auth = c;
  }
  std::optional<std::string> token(const std::string& key,
                                   token_cache::clock::time_point now) const {
    std::lock_guard<std::mutex> guard{mtx_};
    return tokens_.get(key, now);
  }
  void put_token(const std::string& key, std::string token,
                 std::chrono::seconds expires_in,
                 token_cache::clock::time_point now) {
    std::lock_guard<std::mutex> guard{mtx_};
    tokens_.put(key, std::move(token), expires_in, now);
  }
  /// Held while one client pings, so a cold start pings once per host,
  /// not once per concurrent fetcher.
  std::mutex& ping_lock() { return ping_mtx_; }
  void erase_token(const std::string& key) {
    std::lock_guard<std::mutex> guard{mtx_};
    tokens_.erase(key);
  }

private:
  mutable std::mutex mtx_;
  std::mutex ping_mtx_;
  ping_result ping_;
  token_cache tokens_;
};

} // namespace fluxd::registry
