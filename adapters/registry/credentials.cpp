#include "adapters/registry/credentials.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/json.hpp>

#include "adapters/registry/errors.hpp"
#include "adapters/registry/names.hpp"

namespace fluxd::registry {

namespace json = boost::json;

namespace {

constexpr std::string_view b64_chars =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

registry_error bad(const std::string& origin, const std::string& why) {
  return registry_error(error_kind::config, "credentials " + origin + ": "
                                              + why);
}

std::string string_field(const json::object& o, std::string_view key,
                         const std::string& origin, const std::string& host) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null())
    return {};
  if (!it->value().is_string())
    throw bad(origin, "field \"" + std::string{key} + "\" of host \"" + host
                        + "\" is not a string");
  return std::string{it->value().get_string()};
}

} // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8
                 | (unsigned char)bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6)
      out += b64_chars[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    unsigned v = (unsigned char)bytes[i] << 16;
    if (i + 1 < bytes.size())
      v |= (unsigned char)bytes[i + 1] << 8;
    out += b64_chars[(v >> 18) & 63];
    out += b64_chars[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? b64_chars[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r')
      continue;
    auto pos = b64_chars.find(c);
    if (c == '-')
      pos = 62; // base64url, as some tools write it
    else if (c == '_')
      pos = 63;
    if (pos == std::string_view::npos)
      throw std::invalid_argument("invalid base64 character");
    v = v << 6 | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xff);
    }
  }
  return out;
}

static_credentials static_credentials::parse(std::string_view text,
                                             const std::string& origin) {
  json::value doc;
  try {
    doc = json::parse(text);
  } catch (const std::exception& e) {
    throw bad(origin, std::string{"invalid JSON: "} + e.what());
  }
  if (!doc.is_object())
    throw bad(origin, "top level is not an object");
  const json::object* auths = &doc.get_object();
  if (auto it = auths->find("auths"); it != auths->end()) {
    if (!it->value().is_object())
      throw bad(origin, "\"auths\" is not an object");
    auths = &it->value().get_object();
  } else {
    // The legacy .dockercfg form has host keys at the top; a modern config
    // without "auths" (only credHelpers etc.) simply yields nothing.
    static const json::object empty;
    bool legacy = !auths->empty();
    for (auto& kv : *auths)
      if (!kv.value().is_object() || kv.key() == "credHelpers"
          || kv.key() == "credsStore")
        legacy = false;
    if (!legacy)
      auths = &empty;
  }
  static_credentials out;
  for (auto& kv : *auths) {
    std::string host{kv.key()};
    if (!kv.value().is_object())
      throw bad(origin, "entry for host \"" + host + "\" is not an object");
    auto& entry = kv.value().get_object();
    credentials c;
    auto auth = string_field(entry, "auth", origin, host);
    if (!auth.empty()) {
      std::string plain;
      try {
        plain = base64_decode(auth);
      } catch (const std::exception&) {
        throw bad(origin, "\"auth\" of host \"" + host + "\" is not base64");
      }
      auto colon = plain.find(':');
      if (colon == std::string::npos)
        throw bad(origin, "\"auth\" of host \"" + host
                            + "\" is not user:password");
      c.username = plain.substr(0, colon);
      c.password = plain.substr(colon + 1);
    } else {
      c.username = string_field(entry, "username", origin, host);
      c.password = string_field(entry, "password", origin, host);
    }
    if (c.empty())
      continue; // e.g. identitytoken-only entries: a helper's business
    try {
      out.add(host, std::move(c));
    } catch (const registry_error& e) {
      throw bad(origin, e.what());
    }
  }
  return out;
}

static_credentials static_credentials::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw bad(path, "cannot read file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

void static_credentials::add(std::string_view host_key, credentials creds) {
  by_host_[normalize_host(host_key)] = std::move(creds);
}

void static_credentials::merge(const static_credentials& other) {
  for (auto& [host, c] : other.by_host_)
    by_host_[host] = c;
}

std::optional<credentials>
static_credentials::find(std::string_view host) const {
  auto it = by_host_.find(normalize_host(host));
  if (it == by_host_.end())
    return std::nullopt;
  return it->second;
}

std::vector<std::string> static_credentials::hosts() const {
  std::vector<std::string> out;
  for (auto& kv : by_host_)
    out.push_back(kv.first);
  return out;
}

std::optional<credentials>
layered_credentials::find(std::string_view host) const {
  for (auto& p : layers_)
    if (p)
      if (auto c = p->find(host))
        return c;
  return std::nullopt;
}

void swappable_credentials::set(std::shared_ptr<const credentials_provider> p) {
  std::lock_guard<std::mutex> guard{mtx_};
  current_ = std::move(p);
}

std::optional<credentials>
swappable_credentials::find(std::string_view host) const {
  std::shared_ptr<const credentials_provider> p;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    p = current_;
  }
  return p ? p->find(host) : std::nullopt;
}

docker_config_watch::docker_config_watch(
  std::string path, std::shared_ptr<swappable_credentials> target)
  : path_(std::move(path)), target_(std::move(target)) {
}

docker_config_watch::outcome docker_config_watch::reload() {
  stamp now;
  std::error_code ec;
  auto status = std::filesystem::status(path_, ec);
  if (!ec && std::filesystem::exists(status)) {
    auto mtime = std::filesystem::last_write_time(path_, ec);
    auto size = std::filesystem::file_size(path_, ec);
    if (!ec) {
      now.exists = true;
      now.mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       mtime.time_since_epoch())
                       .count();
      now.size = size;
    }
  }
  if (last_ && *last_ == now)
    return outcome::unchanged;
  bool first = !last_;
  last_ = now; // a broken file is reported once, not on every poll
  if (!now.exists && !first) {
    target_->set(std::make_shared<static_credentials>());
    hosts_.clear();
    return outcome::removed;
  }
  // Missing at the start: from_file says so, naming the file.
  auto creds = std::make_shared<static_credentials>(
    static_credentials::from_file(path_));
  hosts_ = creds->hosts();
  target_->set(std::move(creds));
  return outcome::reloaded;
}

} // namespace fluxd::registry
