#include "adapters/registry/auth.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "adapters/registry/errors.hpp"

namespace fluxd::registry {

namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

void skip_space(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
    ++i;
}

} // namespace

challenge parse_challenge(std::string_view h) {
  challenge c;
  size_t i = 0;
  skip_space(h, i);
  size_t start = i;
  while (i < h.size() && h[i] != ' ')
    ++i;
  c.scheme = lower(h.substr(start, i - start));
  while (i < h.size()) {
    skip_space(h, i);
    size_t key_start = i;
    while (i < h.size() && h[i] != '=' && h[i] != ',')
      ++i;
    auto key = lower(h.substr(key_start, i - key_start));
    while (!key.empty() && key.back() == ' ')
      key.pop_back();
    if (i >= h.size() || h[i] != '=') {
      continue;
    }
    ++i; // '='
    std::string value;
    if (i < h.size() && h[i] == '"') {
      ++i;
      while (i < h.size() && h[i] != '"') {
        if (h[i] == '\\' && i + 1 < h.size())
          ++i;
        value += h[i++];
      }
      ++i; // closing quote
    } else {
      while (i < h.size() && h[i] != ',')
        value += h[i++];
    }
    if (!key.empty())
      c.params[key] = value;
  }
  return c;
}

token_response parse_token_response(std::string_view body,
                                    const std::string& origin) {
  namespace json = boost::json;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object())
    throw registry_error(error_kind::bad_response,
                         origin + ": token response is not a JSON object");
  auto& o = v.get_object();
  token_response r;
  for (auto key : {"token", "access_token"})
    if (auto it = o.find(key); it != o.end() && it->value().is_string()
                               && !it->value().get_string().empty()) {
      r.token = std::string{it->value().get_string()};
      break;
    }
  if (r.token.empty())
    throw registry_error(error_kind::bad_response,
                         origin + ": token response has no token");
  if (auto it = o.find("expires_in"); it != o.end()) {
    if (it->value().is_int64() && it->value().get_int64() > 0)
      r.expires_in = std::chrono::seconds(it->value().get_int64());
    else if (it->value().is_double() && it->value().get_double() > 0)
      r.expires_in =
        std::chrono::seconds(static_cast<long>(it->value().get_double()));
  }
  return r;
}

std::optional<std::string> token_cache::get(const std::string& key,
                                            clock::time_point now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || now >= it->second.expires)
    return std::nullopt;
  return it->second.token;
}

void token_cache::put(const std::string& key, std::string token,
                      std::chrono::seconds expires_in, clock::time_point now) {
  // Renew a little early (10%, at most 30 s) so a token never expires
  // between our check and the registry's.
  auto margin = std::min<std::chrono::seconds>(std::chrono::seconds(30),
                                               expires_in / 10);
  entries_[key] = entry{std::move(token), now + expires_in - margin};
}

} // namespace fluxd::registry
