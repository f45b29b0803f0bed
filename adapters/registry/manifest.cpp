#include "adapters/registry/manifest.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

#include <boost/json.hpp>
#include <openssl/evp.h>

#include "adapters/registry/errors.hpp"

namespace fluxd::registry {

namespace json = boost::json;

namespace {

registry_error bad(const std::string& origin, const std::string& why) {
  return registry_error(error_kind::bad_response, origin + ": " + why);
}

json::value parse_json(std::string_view body, const std::string& origin,
                       const char* what) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec)
    throw bad(origin, std::string{what} + " is not JSON (" + ec.message()
                        + ")");
  if (!v.is_object())
    throw bad(origin, std::string{what} + " is not a JSON object");
  return v;
}

std::string str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it != o.end() && it->value().is_string())
    return std::string{it->value().get_string()};
  return {};
}

std::map<std::string, std::string> string_map(const json::object& o,
                                              std::string_view key) {
  std::map<std::string, std::string> out;
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_object())
    return out;
  for (auto& kv : it->value().get_object())
    if (kv.value().is_string())
      out.emplace(std::string{kv.key()}, std::string{kv.value().get_string()});
  return out;
}

time_point created_of(const json::object& o) {
  auto text = str(o, "created");
  if (text.empty())
    return {};
  return parse_rfc3339(text).value_or(time_point{});
}

std::map<std::string, std::string> labels_of(const json::object& o) {
  // Docker puts them under config.Labels; Flux v1 read container_config.
  for (auto key : {"config", "container_config"})
    if (auto it = o.find(key); it != o.end() && it->value().is_object()) {
      auto labels = string_map(it->value().get_object(), "Labels");
      if (!labels.empty())
        return labels;
    }
  return {};
}

bool is_index_type(std::string_view mt) {
  return mt == media_type::docker_list || mt == media_type::oci_index;
}

} // namespace

platform platform::parse(std::string_view text) {
  platform p;
  auto a = text.find('/');
  p.os = std::string{text.substr(0, a)};
  if (a == std::string_view::npos)
    return p;
  auto rest = text.substr(a + 1);
  auto b = rest.find('/');
  p.architecture = std::string{rest.substr(0, b)};
  p.variant = b == std::string_view::npos ? "" : std::string{rest.substr(b + 1)};
  return p;
}

std::string platform::to_string() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

parsed_manifest parse_manifest(std::string_view body,
                               std::string_view content_type,
                               const std::string& origin) {
  auto doc = parse_json(body, origin, "manifest");
  auto& o = doc.get_object();
  parsed_manifest m;
  m.media_type = str(o, "mediaType");
  if (m.media_type.empty()) {
    // Older OCI manifests omit mediaType; the header then decides.
    auto semi = content_type.find(';');
    m.media_type = std::string{content_type.substr(0, semi)};
  }
  m.annotations = string_map(o, "annotations");
  auto schema = o.find("schemaVersion");
  bool v1 = schema != o.end() && schema->value().is_int64()
            && schema->value().get_int64() == 1;
  if (v1 || m.media_type == media_type::schema1
      || m.media_type == media_type::schema1_signed) {
    m.what = parsed_manifest::kind::schema1;
    auto h = o.find("history");
    if (h == o.end() || !h->value().is_array() || h->value().get_array().empty())
      throw bad(origin, "schema1 manifest has no history");
    auto& first = h->value().get_array().front();
    if (!first.is_object())
      throw bad(origin, "schema1 history[0] is not an object");
    auto compat = str(first.get_object(), "v1Compatibility");
    auto inner = parse_json(compat, origin, "schema1 v1Compatibility");
    m.created = created_of(inner.get_object());
    m.labels = labels_of(inner.get_object());
    return m;
  }
  if (o.contains("manifests") || is_index_type(m.media_type)) {
    m.what = parsed_manifest::kind::index;
    auto it = o.find("manifests");
    if (it == o.end() || !it->value().is_array())
      throw bad(origin, "index has no \"manifests\" array");
    for (auto& e : it->value().get_array()) {
      if (!e.is_object())
        throw bad(origin, "index entry is not an object");
      auto& eo = e.get_object();
      index_entry entry;
      entry.digest = str(eo, "digest");
      entry.media_type = str(eo, "mediaType");
      if (!valid_digest(entry.digest))
        throw bad(origin, "index entry has an invalid digest");
      if (auto p = eo.find("platform");
          p != eo.end() && p->value().is_object()) {
        auto& po = p->value().get_object();
        entry.os = str(po, "os");
        entry.architecture = str(po, "architecture");
        entry.variant = str(po, "variant");
      }
      m.entries.push_back(std::move(entry));
    }
    return m;
  }
  m.what = parsed_manifest::kind::image;
  auto cfg = o.find("config");
  if (cfg == o.end() || !cfg->value().is_object())
    throw bad(origin, "manifest has no \"config\" descriptor");
  m.config_digest = str(cfg->value().get_object(), "digest");
  if (!valid_digest(m.config_digest))
    throw bad(origin, "manifest config has an invalid digest");
  return m;
}

const index_entry* select_platform(const std::vector<index_entry>& entries,
                                   const platform& want) {
  for (auto& e : entries)
    if (e.os == want.os && e.architecture == want.architecture
        && (want.variant.empty() || e.variant == want.variant))
      return &e;
  return nullptr;
}

image_config parse_config(std::string_view body, const std::string& origin) {
  auto doc = parse_json(body, origin, "image config");
  image_config c;
  c.created = created_of(doc.get_object());
  c.labels = labels_of(doc.get_object());
  return c;
}

std::optional<time_point> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size())
      return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i])))
        return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  std::tm tm{};
  int y, mo, d, h, mi, sec;
  if (!digits(0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(5, 2, mo)
      || s[7] != '-' || !digits(8, 2, d)
      || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h)
      || s[13] != ':' || !digits(14, 2, mi) || s[16] != ':'
      || !digits(17, 2, sec))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  size_t pos = 19;
  long long nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (n < 9) {
        nanos = nanos * 10 + (s[pos] - '0');
        ++n;
      }
      ++pos;
    }
    if (n == 0)
      return std::nullopt;
    for (; n < 9; ++n)
      nanos *= 10;
  }
  long offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':'
        || !digits(pos + 4, 2, om))
      return std::nullopt;
    offset = (oh * 3600L + om * 60L) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size())
    return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  long long secs = static_cast<long long>(timegm(&tm)) - offset;
  if (secs == 0 && nanos == 0)
    return time_point{};
  return time_point{std::chrono::duration_cast<time_point::duration>(
    std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos))};
}

std::string format_rfc3339(time_point t) {
  using namespace std::chrono;
  auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  long long secs = ns / 1000000000;
  long long frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  if (frac != 0)
    n += std::snprintf(buf + n, sizeof(buf) - n, ".%09lld", frac);
  std::snprintf(buf + n, sizeof(buf) - n, "Z");
  return buf;
}

std::string sha256_digest(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

bool valid_digest(std::string_view d) {
  auto colon = d.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return false;
  auto algo = d.substr(0, colon);
  auto hex = d.substr(colon + 1);
  size_t want = algo == "sha256" ? 64 : algo == "sha512" ? 128 : 0;
  if (want == 0 || hex.size() != want)
    return false;
  for (char c : hex)
    if (!std::isxdigit(static_cast<unsigned char>(c))
        || std::isupper(static_cast<unsigned char>(c)))
      return false;
  return true;
}

} // namespace fluxd::registry
