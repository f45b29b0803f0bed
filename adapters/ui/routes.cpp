#include "adapters/ui/routes.hpp"

#include <boost/json.hpp>

#include "adapters/log/log.hpp"

namespace fluxd::ui {

namespace {

/// Every answer of the page's routes: no sniffing, no framing, no referrer
/// (workload IDs and repository paths stay in fluxd).
void secure_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 std::string{content_security_policy});
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
  res.set_header("Cross-Origin-Resource-Policy", "same-origin");
}

void json_error(httplib::Response& res, int status, const std::string& msg) {
  boost::json::object body;
  body["error"] = msg;
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(boost::json::serialize(body) + "\n",
                  "application/json; charset=utf-8");
}

http::server::handler serve_asset(std::string name) {
  return [name](const httplib::Request&, httplib::Response& res) {
    secure_headers(res);
    auto* a = find_asset(name);
    if (!a) {
      res.status = 404;
      res.set_content("404 page not found\n", "text/plain; charset=utf-8");
      return;
    }
    // Assets change only with the binary; revalidate cheaply each load.
    res.set_header("Cache-Control", "no-cache");
    res.set_content(std::string{a->body}, std::string{a->content_type});
  };
}

} // namespace

bool authorized(const std::string& authorization_header,
                const std::string& token) {
  if (token.empty())
    return true;
  static const std::string prefix = "Bearer ";
  if (authorization_header.size() != prefix.size() + token.size()
      || authorization_header.compare(0, prefix.size(), prefix) != 0)
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(authorization_header[prefix.size() + i]
                                       ^ token[i]);
  return diff == 0;
}

void add_routes(http::server& srv, routes_options opts) {
  srv.route("GET", "/", "UIPage", serve_asset("index.html"));
  srv.route("GET", "/ui/?", "UIPage", serve_asset("index.html"));
  srv.route("GET", "/ui/app\\.js", "UIAsset", serve_asset("app.js"));
  srv.route("GET", "/ui/app\\.css", "UIAsset", serve_asset("app.css"));
  auto provider = std::move(opts.provider);
  auto token = std::move(opts.api_token);
  srv.route(
      "GET", "/api/fluxd/v1/status", "UIStatus",
      [provider, token](const httplib::Request& req, httplib::Response& res) {
        secure_headers(res);
        if (!authorized(req.get_header_value("Authorization"), token)) {
          res.set_header("WWW-Authenticate", "Bearer realm=\"fluxd\"");
          json_error(res, 401, "a valid API token is required");
          return;
        }
        if (!provider) {
          json_error(res, 503, "status is not available");
          return;
        }
        std::string body;
        try {
          body = to_json(provider());
        } catch (const std::exception& e) {
          log::logger{"ui"}.warn("cannot build the status snapshot",
                                 {{"err", e.what()}});
          json_error(res, 503, "status is not available right now");
          return;
        }
        res.set_header("Cache-Control", "no-store");
        res.set_content(body + "\n", "application/json; charset=utf-8");
      });
}

} // namespace fluxd::ui
