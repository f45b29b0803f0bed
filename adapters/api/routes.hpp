#pragma once

#include <string>

#include "adapters/api/daemon_api.hpp"
#include "adapters/http/server.hpp"

namespace fluxd::api {

struct route_options {
  /// From --api-token-file; empty: no authentication (Flux v1's default).
  /// Clients send `Authorization: Bearer <t>` or fluxctl's
  /// `Authorization: Scope-Probe token=<t>`.
  std::string token;
};

/// Adds every Flux v1 route (§3.2: v6, v9, v10, v11 and the legacy ones)
/// to `srv`, answered by `daemon`, which must outlive the server. Call
/// before srv.start(). Unknown paths and v1–v5 stay with the server's own
/// 404/410 fallback.
void install_routes(http::server& srv, daemon_api& daemon,
                    const route_options& opts = {});

/// Compares secrets in time independent of where they differ.
bool constant_time_equal(const std::string& a, const std::string& b);

/// Reads a token/secret file: the first line, surrounding whitespace
/// trimmed. Throws std::runtime_error naming the file (never its content).
std::string read_secret_file(const std::string& path, const std::string& flag);

} // namespace fluxd::api
