#pragma once

#include <string>
#include <string_view>

#include "adapters/http/server.hpp"
#include "adapters/ui/status.hpp"

namespace fluxd::ui {

/// The page's CSP: only our own script, style and JSON; nothing inline,
/// no frames.
inline constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'";

struct routes_options {
  status_provider provider;
  /// --api-token-file's content; empty: the JSON routes are open.
  std::string api_token;
};

/// Adds the status page to `srv` (before start()):
///   GET /, /ui/          the page (public: it holds no data)
///   GET /ui/app.js, /ui/app.css
///   GET /api/fluxd/v1/status   the snapshot as JSON (Bearer token when set)
/// The page polls the status JSON; see assets/app.js for why not SSE.
void add_routes(http::server& srv, routes_options opts);

/// An embedded file of the page (generated from adapters/ui/assets).
struct asset {
  std::string_view content_type;
  std::string_view body;
};

/// "index.html", "app.js", "app.css"; nullptr for anything else.
const asset* find_asset(std::string_view name);

/// Compares a request's Authorization header with the token in constant
/// time (for equal lengths). An empty token allows everything.
bool authorized(const std::string& authorization_header,
                const std::string& token);

} // namespace fluxd::ui
