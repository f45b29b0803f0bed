#include "adapters/registry/wire.hpp"

#include <cctype>

#include <boost/json.hpp>

namespace fluxd::registry::wire {

namespace json = boost::json;

split_url split(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos)
    return {"", url};
  auto slash = url.find('/', scheme + 3);
  if (slash == std::string::npos)
    return {url, "/"};
  return {url.substr(0, slash), url.substr(slash)};
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}


/// `{"errors":[{"code":"…","message":"…"}]}` → "CODE message", else a
/// short, printable prefix of the body.
std::string describe_body(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (!ec && v.is_object())
    if (auto it = v.get_object().find("errors");
        it != v.get_object().end() && it->value().is_array()
        && !it->value().get_array().empty()
        && it->value().get_array()[0].is_object()) {
      auto& e = it->value().get_array()[0].get_object();
      std::string out;
      if (auto c = e.find("code"); c != e.end() && c->value().is_string())
        out += std::string{c->value().get_string()};
      if (auto m = e.find("message"); m != e.end() && m->value().is_string())
        out += (out.empty() ? "" : " ") + std::string{m->value().get_string()};
      return out;
    }
  std::string out;
  for (char c : body.substr(0, 80))
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return out;
}

/// Parses `Link: <url>; rel="next"` (several links may be comma-separated).
std::string next_link(const std::string& header) {
  size_t pos = 0;
  while (pos < header.size()) {
    auto open = header.find('<', pos);
    if (open == std::string::npos)
      return {};
    auto close = header.find('>', open);
    if (close == std::string::npos)
      return {};
    auto end = header.find('<', close);
    auto params = header.substr(close + 1, end == std::string::npos
                                             ? std::string::npos
                                             : end - close - 1);
    if (params.find("rel=\"next\"") != std::string::npos
        || params.find("rel=next") != std::string::npos)
      return header.substr(open + 1, close - open - 1);
    pos = close + 1;
  }
  return {};
}

} // namespace fluxd::registry::wire
