#include "adapters/git/proxy.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "adapters/git/error.hpp"

namespace fluxd::git {

namespace {

std::string env(const char* lower, const char* upper) {
  for (const char* name : {lower, upper})
    if (const char* v = std::getenv(name); v && *v)
      return v;
  return {};
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

} // namespace

bool no_proxy_matches(const std::string& list, const std::string& host) {
  auto h = lowercase(host);
  std::size_t pos = 0;
  while (pos <= list.size()) {
    auto end = list.find_first_of(", ", pos);
    if (end == std::string::npos)
      end = list.size();
    auto entry = lowercase(list.substr(pos, end - pos));
    pos = end + 1;
    if (entry.empty())
      continue;
    if (entry == "*")
      return true;
    // A port (host:port) is ignored; [v6]:port keeps its brackets' content.
    if (entry.front() == '[') {
      entry = entry.substr(1, entry.find(']') - 1);
    } else if (auto colon = entry.rfind(':');
               colon != std::string::npos
               && entry.find(':') == colon) {
      entry = entry.substr(0, colon);
    }
    if (!entry.empty() && entry.front() == '.')
      entry.erase(0, 1);
    if (h == entry
        || (h.size() > entry.size()
            && h.compare(h.size() - entry.size(), entry.size(), entry) == 0
            && h[h.size() - entry.size() - 1] == '.'))
      return true;
  }
  return false;
}

std::string proxy_for(const std::string& option, const remote_url& url) {
  using scheme = remote_url::scheme_t;
  if (url.scheme != scheme::http && url.scheme != scheme::https)
    return {};
  if (option == "none")
    return {};
  if (!option.empty())
    return option;
  auto proxy = url.scheme == scheme::https ? env("https_proxy", "HTTPS_PROXY")
                                           : env("http_proxy", "HTTP_PROXY");
  if (proxy.empty() || no_proxy_matches(env("no_proxy", "NO_PROXY"), url.host))
    return {};
  return proxy;
}

std::pair<std::string, std::string> proxy_endpoint(const std::string& proxy) {
  auto rest = proxy;
  if (auto sep = rest.find("://"); sep != std::string::npos) {
    auto scheme = lowercase(rest.substr(0, sep));
    if (scheme != "http")
      throw git_failure(error_kind::config,
                        "proxy " + strip_password(proxy)
                          + ": only http:// proxies are supported");
    rest = rest.substr(sep + 3);
  }
  rest = rest.substr(0, rest.find('/'));
  if (auto at = rest.rfind('@'); at != std::string::npos)
    rest = rest.substr(at + 1);
  std::string host = rest, port = "1080";
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':')
      port = rest.substr(close + 2);
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || port.empty())
    throw git_failure(error_kind::config,
                      "proxy " + strip_password(proxy) + ": no host in it");
  return {host, port};
}

} // namespace fluxd::git
