#include "adapters/notify/webhook.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <sstream>

#include <httplib.h>

#include "adapters/api/webhooks.hpp"
#include "adapters/registry/rate.hpp"
#include "fluxd/version.hpp"

namespace fluxd::notify {

namespace {

constexpr std::string_view slack_prefix = "slack+";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(s[i + 1])
        && std::isxdigit(s[i + 2])) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// The pieces of scheme://[userinfo@]host[:port][/path][?query].
struct url_parts {
  std::string scheme;
  std::string userinfo;
  std::string host_port; ///< as written
  std::string path;      ///< without the query
  std::string query;     ///< without '?'
  bool ok = false;
};

url_parts split_url(std::string url) {
  url_parts p;
  if (auto hash = url.find('#'); hash != std::string::npos)
    url.erase(hash);
  auto sep = url.find("://");
  if (sep == std::string::npos)
    return p;
  p.scheme = lower(url.substr(0, sep));
  auto rest = url.substr(sep + 3);
  auto end = rest.find_first_of("/?");
  auto authority = rest.substr(0, end);
  auto tail = end == std::string::npos ? std::string{} : rest.substr(end);
  if (auto at = authority.rfind('@'); at != std::string::npos) {
    p.userinfo = authority.substr(0, at);
    authority.erase(0, at + 1);
  }
  p.host_port = authority;
  auto q = tail.find('?');
  p.path = tail.substr(0, q);
  if (q != std::string::npos)
    p.query = tail.substr(q + 1);
  p.ok = !p.scheme.empty() && !p.host_port.empty();
  return p;
}

std::string redact_parts(const url_parts& p) {
  std::string out = p.scheme + "://";
  if (!p.userinfo.empty())
    out += "***@";
  out += p.host_port;
  // Keep the first path segment (it tells webhooks apart), hide the rest.
  size_t seg = 0;
  size_t i = 0;
  while (i < p.path.size()) {
    auto next = p.path.find('/', i + 1);
    if (seg++ == 0)
      out += p.path.substr(i, next - i);
    else
      out += "/***";
    if (next == std::string::npos)
      break;
    i = next;
  }
  if (!p.query.empty())
    out += "?***";
  return out;
}

std::string without_prefix(const std::string& configured) {
  return configured.rfind(slack_prefix, 0) == 0
             ? configured.substr(slack_prefix.size())
             : configured;
}

} // namespace

std::string redact_url(const std::string& url) {
  auto p = split_url(without_prefix(url));
  return p.ok ? redact_parts(p) : std::string{"***"};
}

webhook_target parse_target(const std::string& configured) {
  webhook_target t;
  bool slack = configured.rfind(slack_prefix, 0) == 0;
  t.url = without_prefix(configured);
  auto p = split_url(t.url);
  t.redacted = p.ok ? redact_parts(p) : std::string{"***"};
  auto fail = [&](const std::string& why) {
    throw notify_error("--notify-webhook " + t.redacted + ": " + why);
  };
  if (!p.ok)
    fail("not a URL (want http(s)://host[:port]/path)");
  if (p.scheme != "http" && p.scheme != "https")
    fail("scheme must be http or https, not " + p.scheme);
  t.scheme = p.scheme;
  auto hp = p.host_port;
  std::string port_text;
  if (hp.front() == '[') {
    auto close = hp.find(']');
    if (close == std::string::npos)
      fail("unclosed [ in the host");
    t.host = hp.substr(1, close - 1);
    if (close + 1 < hp.size()) {
      if (hp[close + 1] != ':')
        fail("bad host");
      port_text = hp.substr(close + 2);
    }
  } else if (auto colon = hp.rfind(':'); colon != std::string::npos) {
    t.host = hp.substr(0, colon);
    port_text = hp.substr(colon + 1);
  } else {
    t.host = hp;
  }
  if (t.host.empty())
    fail("no host");
  t.port = t.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    if (!std::all_of(port_text.begin(), port_text.end(),
                     [](unsigned char c) { return std::isdigit(c); })
        || port_text.size() > 5 || std::stoi(port_text) == 0
        || std::stoi(port_text) > 65535)
      fail("bad port");
    t.port = std::stoi(port_text);
  }
  t.path =
      (p.path.empty() ? "/" : p.path) + (p.query.empty() ? "" : "?" + p.query);
  if (!p.userinfo.empty()) {
    auto colon = p.userinfo.find(':');
    t.user = percent_decode(p.userinfo.substr(0, colon));
    if (colon != std::string::npos)
      t.password = percent_decode(p.userinfo.substr(colon + 1));
  }
  t.format = slack || lower(t.host) == "hooks.slack.com" ? body_format::slack
                                                         : body_format::generic;
  return t;
}

std::string render_for(const webhook_target& target, const event& e) {
  return target.format == body_format::slack ? slack_body(e) : generic_body(e);
}

std::string signature(const std::string& secret, const std::string& body) {
  return "sha256=" + api::hmac_sha256_hex(secret, body);
}

std::string read_secret(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    throw notify_error("--notify-webhook-secret-file " + path
                       + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
    s.pop_back();
  if (s.empty())
    throw notify_error("--notify-webhook-secret-file " + path + ": is empty");
  return s;
}

attempt_result::kind classify(int status) {
  if (status >= 200 && status < 300)
    return attempt_result::kind::delivered;
  if (status == 408 || status == 429 || (status >= 500 && status < 600))
    return attempt_result::kind::retry;
  return attempt_result::kind::rejected;
}

struct webhook_client::impl {
  std::unique_ptr<httplib::Client> http;
};

webhook_client::webhook_client(webhook_target target, client_options opts)
    : target_(std::move(target)), opts_(std::move(opts)),
      impl_(std::make_unique<impl>()) {
  bool v6 = target_.host.find(':') != std::string::npos;
  auto origin = target_.scheme + "://"
                + (v6 ? "[" + target_.host + "]" : target_.host) + ":"
                + std::to_string(target_.port);
  auto& c = impl_->http = std::make_unique<httplib::Client>(origin);
  c->set_connection_timeout(opts_.connect_timeout);
  c->set_read_timeout(opts_.timeout);
  c->set_write_timeout(opts_.timeout);
  c->set_keep_alive(true);
  c->set_follow_location(false);
  if (!target_.user.empty())
    c->set_basic_auth(target_.user, target_.password);
  if (target_.scheme == "https") {
    c->enable_server_certificate_verification(true);
    if (!opts_.ca_bundle.empty())
      c->set_ca_cert_path(opts_.ca_bundle);
  }
}

webhook_client::~webhook_client() = default;

attempt_result webhook_client::post(const delivery& d) {
  httplib::Headers headers{{"X-Fluxd-Event", d.type},
                           {"X-Fluxd-Delivery", d.id}};
  headers.emplace("User-Agent", opts_.user_agent.empty()
                                    ? std::string{"fluxd/"} + fluxd::version
                                    : opts_.user_agent);
  if (!opts_.secret.empty())
    headers.emplace("X-Signature", signature(opts_.secret, d.body));
  attempt_result r;
  auto res =
      impl_->http->Post(target_.path, headers, d.body, "application/json");
  if (!res) {
    r.outcome = attempt_result::kind::retry;
    r.error =
        "POST " + target_.redacted + ": " + httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.outcome = classify(res->status);
  if (r.outcome != attempt_result::kind::delivered)
    r.error =
        "POST " + target_.redacted + ": HTTP " + std::to_string(res->status);
  if (r.outcome == attempt_result::kind::retry
      && res->has_header("Retry-After"))
    r.retry_after =
        registry::parse_retry_after(res->get_header_value("Retry-After"),
                                    static_cast<long long>(std::time(nullptr)));
  return r;
}

} // namespace fluxd::notify
