#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace fluxd::registry {

/// What went wrong, so callers can decide between retrying later, backing
/// off the whole host, or recording a per-tag exclusion.
enum class error_kind {
  unreachable,     ///< connect/read failure or timeout
  unauthorized,    ///< 401/403 after trying the credentials we have
  not_found,       ///< 404: NAME_UNKNOWN, MANIFEST_UNKNOWN, BLOB_UNKNOWN
  rate_limited,    ///< 429 (or TOOMANYREQUESTS)
  server_error,    ///< 5xx
  bad_response,    ///< unparsable or ill-shaped JSON, unexpected status
  too_large,       ///< a response body over its size limit
  digest_mismatch, ///< content does not hash to the digest we were told
  config,          ///< bad input on our side (credentials file, image name)
  storage,         ///< the on-disk metadata cache cannot be read or written
};

const char* to_string(error_kind kind);

/// Thrown by the registry adapter. The message always names the repository
/// (or host) and the request at fault; it never contains credentials.
class registry_error : public std::runtime_error {
public:
  registry_error(error_kind kind, std::string what, int status = 0,
                 std::optional<std::chrono::seconds> retry_after = {})
    : std::runtime_error(std::move(what)),
      kind_(kind),
      status_(status),
      retry_after_(retry_after) {
  }

  error_kind kind() const { return kind_; }
  int status() const { return status_; }
  /// From a 429/503 `Retry-After` header, when the registry sent one.
  std::optional<std::chrono::seconds> retry_after() const {
    return retry_after_;
  }

private:
  error_kind kind_;
  int status_;
  std::optional<std::chrono::seconds> retry_after_;
};

} // namespace fluxd::registry
