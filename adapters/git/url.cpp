#include "adapters/git/url.hpp"

#include <cctype>

#include "adapters/git/error.hpp"

namespace fluxd::git {

namespace {

/// Splits "user:pass@host:port" parts of an authority.
void parse_authority(const std::string& authority, remote_url& u,
                     const std::string& shown) {
  std::string hostport = authority;
  if (auto at = authority.rfind('@'); at != std::string::npos) {
    auto userinfo = authority.substr(0, at);
    hostport = authority.substr(at + 1);
    if (auto colon = userinfo.find(':'); colon != std::string::npos) {
      u.user = userinfo.substr(0, colon);
      u.password = userinfo.substr(colon + 1);
    } else {
      u.user = userinfo;
    }
  }
  if (!hostport.empty() && hostport[0] == '[') {
    auto close = hostport.find(']');
    if (close == std::string::npos)
      throw git_failure(error_kind::config,
                        "git URL " + shown + ": unterminated [ in host");
    u.host = hostport.substr(1, close - 1);
    hostport = hostport.substr(close + 1);
    if (!hostport.empty() && hostport[0] == ':')
      hostport = u.host + hostport;
    else
      hostport = u.host;
  }
  auto colon = hostport.rfind(':');
  if (colon != std::string::npos && u.host.empty())
    u.host = hostport.substr(0, colon);
  else if (u.host.empty())
    u.host = hostport;
  if (colon != std::string::npos) {
    auto port = hostport.substr(colon + 1);
    if (!port.empty()) {
      for (char c : port)
        if (!std::isdigit(static_cast<unsigned char>(c)))
          throw git_failure(error_kind::config,
                            "git URL " + shown + ": bad port '" + port + "'");
      u.port = std::stoi(port);
    }
  }
  if (u.host.empty())
    throw git_failure(error_kind::config, "git URL " + shown + ": no host");
}

} // namespace

std::string strip_password(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return url;
  auto auth_start = scheme_end + 3;
  auto path_start = url.find('/', auth_start);
  auto at = url.rfind('@', path_start);
  if (at == std::string::npos || at < auth_start)
    return url;
  auto colon = url.find(':', auth_start);
  if (colon == std::string::npos || colon > at)
    return url;
  return url.substr(0, colon) + ":***" + url.substr(at);
}

remote_url remote_url::parse(const std::string& url) {
  remote_url u;
  u.original = url;
  auto shown = strip_password(url);
  if (url.empty())
    throw git_failure(error_kind::config, "git URL is empty");
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    if (url[0] == '/') {
      u.scheme = scheme_t::file;
      u.path = url;
      return u;
    }
    // scp-like: [user@]host:path (no slash before the colon).
    auto colon = url.find(':');
    auto slash = url.find('/');
    if (colon == std::string::npos
        || (slash != std::string::npos && slash < colon))
      throw git_failure(error_kind::config,
                        "git URL " + shown + ": not a URL or scp-like address");
    u.scheme = scheme_t::ssh;
    auto authority = url.substr(0, colon);
    if (auto at = authority.find('@'); at != std::string::npos) {
      u.user = authority.substr(0, at);
      u.host = authority.substr(at + 1);
    } else {
      u.host = authority;
    }
    u.path = url.substr(colon + 1);
    if (u.host.empty() || u.path.empty())
      throw git_failure(error_kind::config,
                        "git URL " + shown + ": host or path missing");
    return u;
  }
  auto scheme = url.substr(0, scheme_end);
  if (scheme == "ssh" || scheme == "git+ssh" || scheme == "ssh+git")
    u.scheme = scheme_t::ssh;
  else if (scheme == "https")
    u.scheme = scheme_t::https;
  else if (scheme == "http")
    u.scheme = scheme_t::http;
  else if (scheme == "git")
    u.scheme = scheme_t::git;
  else if (scheme == "file")
    u.scheme = scheme_t::file;
  else
    throw git_failure(error_kind::config,
                      "git URL " + shown + ": unsupported scheme '" + scheme
                          + "' (use ssh, https, http, git or file)");
  auto rest = url.substr(scheme_end + 3);
  if (u.scheme == scheme_t::file) {
    u.path = rest;
    return u;
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  parse_authority(authority, u, shown);
  return u;
}

std::string remote_url::sanitized() const {
  return strip_password(original);
}

std::string remote_url::for_libgit2() const {
  if (password.empty())
    return original;
  auto scheme_end = original.find("://");
  auto at = original.find('@', scheme_end + 3);
  return original.substr(0, scheme_end + 3) + user + original.substr(at);
}

std::string remote_url::known_hosts_name() const {
  if (port == 0 || port == 22)
    return host;
  return "[" + host + "]:" + std::to_string(port);
}

} // namespace fluxd::git
