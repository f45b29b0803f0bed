#include "adapters/sync/desired.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <boost/json.hpp>
#include <openssl/sha.h>

#include "adapters/kube/json.hpp"
#include "adapters/manifests/patch.hpp"
#include "adapters/manifests/policy.hpp"

namespace fluxd::sync {

namespace json = boost::json;

namespace {

bool one_of(const std::string& s, std::initializer_list<const char*> xs) {
  for (auto* x : xs)
    if (s == x)
      return true;
  return false;
}

std::optional<json::value> plain_int(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s.empty())
    return std::nullopt;
  bool neg = s[0] == '-';
  std::string digits = (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
  if (digits.empty())
    return std::nullopt;
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0'
      && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits = digits.substr(2);
  } else if (digits.size() > 2 && digits[0] == '0' && digits[1] == 'o') {
    base = 8;
    digits = digits.substr(2);
  } else if (digits.size() > 2 && digits[0] == '0' && digits[1] == 'b') {
    base = 2;
    digits = digits.substr(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
  }
  for (char c : digits) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c))
                         : (c >= '0' && c < '0' + std::min(base, 10));
    if (!ok)
      return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(digits.c_str(), &end, base);
  if (errno != 0 || *end != '\0')
    return std::nullopt;
  if (neg) {
    if (v > static_cast<unsigned long long>(
              std::numeric_limits<long long>::max()) + 1)
      return std::nullopt;
    return json::value(static_cast<std::int64_t>(0ULL - v));
  }
  if (v <= static_cast<unsigned long long>(
         std::numeric_limits<std::int64_t>::max()))
    return json::value(static_cast<std::int64_t>(v));
  return json::value(static_cast<std::uint64_t>(v));
}

std::optional<json::value> plain_float(const std::string& s) {
  if (one_of(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}))
    return json::value(std::numeric_limits<double>::infinity());
  if (one_of(s, {"-.inf", "-.Inf", "-.INF"}))
    return json::value(-std::numeric_limits<double>::infinity());
  if (s.empty() || s.find_first_of("0123456789") == std::string::npos)
    return std::nullopt;
  for (char c : s)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e'
          || c == 'E' || c == '+' || c == '-'))
      return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (*end != '\0')
    return std::nullopt;
  return json::value(d);
}

json::value scalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() != "?") // quoted, or explicitly tagged: a string
    return json::value(s);
  if (one_of(s, {"", "~", "null", "Null", "NULL"}))
    return json::value(nullptr);
  if (one_of(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On",
                 "ON", "y", "Y"}))
    return json::value(true);
  if (one_of(s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off",
                 "OFF", "n", "N"}))
    return json::value(false);
  if (auto i = plain_int(s))
    return *i;
  if (auto f = plain_float(s))
    return *f;
  return json::value(s);
}

json::object* object_at(json::value& v, const char* key) {
  auto* o = v.if_object();
  if (!o)
    return nullptr;
  auto& child = (*o)[key];
  if (!child.is_object())
    child = json::object();
  return &child.as_object();
}

std::map<std::string, std::string> string_map(const json::value& o,
                                              const char* key) {
  std::map<std::string, std::string> out;
  auto* obj = o.if_object();
  if (!obj)
    return out;
  auto md = obj->find("metadata");
  if (md == obj->end() || !md->value().is_object())
    return out;
  auto m = md->value().as_object().find(key);
  if (m == md->value().as_object().end() || !m->value().is_object())
    return out;
  for (const auto& kv : m->value().as_object())
    if (kv.value().is_string())
      out[std::string(kv.key())] = std::string(kv.value().as_string());
  return out;
}

std::string str_at(const json::value& o, const char* a, const char* b = "") {
  auto* obj = o.if_object();
  if (!obj)
    return {};
  auto it = obj->find(a);
  if (it == obj->end())
    return {};
  if (!*b)
    return it->value().is_string() ? std::string(it->value().as_string())
                                   : std::string();
  return str_at(it->value(), b);
}

bool numbers_equal(const json::value& a, const json::value& b) {
  if (a.is_int64() && b.is_int64())
    return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64())
    return a.get_uint64() == b.get_uint64();
  auto as_double = [](const json::value& v) {
    if (v.is_int64())
      return static_cast<double>(v.get_int64());
    if (v.is_uint64())
      return static_cast<double>(v.get_uint64());
    return v.get_double();
  };
  return as_double(a) == as_double(b);
}

} // namespace

json::value yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json::object o;
      for (auto it = node.begin(); it != node.end(); ++it)
        o[it->first.Scalar()] = yaml_to_json(it->second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json::array a;
      for (auto it = node.begin(); it != node.end(); ++it)
        a.push_back(yaml_to_json(*it));
      return a;
    }
    case YAML::NodeType::Scalar:
      return scalar(node);
    default:
      return nullptr;
  }
}

std::string sha1_hex(const std::string& bytes) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string sha256_raw(const std::string& bytes) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         d);
  return std::string(reinterpret_cast<const char*>(d), sizeof d);
}

std::string base64url(const std::string& bytes) {
  static const char* tbl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  auto b = [&](std::size_t k) {
    return static_cast<unsigned>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned n = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    out += tbl[(n >> 18) & 63];
    out += tbl[(n >> 12) & 63];
    out += tbl[(n >> 6) & 63];
    out += tbl[n & 63];
  }
  if (bytes.size() - i == 1) {
    unsigned n = b(i) << 16;
    out += tbl[(n >> 18) & 63];
    out += tbl[(n >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    unsigned n = (b(i) << 16) | (b(i + 1) << 8);
    out += tbl[(n >> 18) & 63];
    out += tbl[(n >> 12) & 63];
    out += tbl[(n >> 6) & 63];
  }
  return out;
}

std::string sync_set_name(const std::string& sanitized_url,
                          const std::string& branch,
                          const std::vector<std::string>& paths) {
  std::string all = sanitized_url + branch;
  for (const auto& p : paths)
    all += p;
  return base64url(sha256_raw(all));
}

std::string gc_mark(const std::string& set_name, const std::string& id) {
  return "sha256." + base64url(sha256_raw(set_name + id));
}

int kind_rank(const std::string& kind) {
  auto k = manifests::lower(kind);
  if (k == "namespace")
    return 0;
  if (one_of(k, {"customresourcedefinition", "serviceaccount", "clusterrole",
                 "role", "persistentvolume", "service"}))
    return 1;
  if (one_of(k, {"resourcequota", "limitrange", "secret", "configmap",
                 "rolebinding", "clusterrolebinding", "persistentvolumeclaim",
                 "ingress"}))
    return 2;
  if (one_of(k, {"daemonset", "deployment", "replicationcontroller",
                 "replicaset", "job", "cronjob", "statefulset"}))
    return 3;
  return 4;
}

std::string ignore_value(const std::map<std::string, std::string>& ann) {
  auto set = manifests::policies_of(ann);
  auto it = set.find(manifests::policy::ignore);
  return it == set.end() ? std::string() : it->second;
}

desired_object prepare(const manifests::resource& r,
                       const std::string& set_name) {
  desired_object d;
  d.id = r.id;
  d.api_version = r.api_version;
  d.kind = r.kind;
  d.ns = r.ns;
  d.name = r.name;
  d.source = r.source;
  d.rank = kind_rank(r.kind);
  d.ignore_in_file = ignore_value(r.annotations) == "true";
  auto normalised = manifests::emit_sorted(r.node);
  if (normalised.rfind("---\n", 0) == 0)
    normalised.erase(0, 4);
  d.checksum = sha1_hex(normalised);
  d.object = yaml_to_json(r.node);
  auto* md = object_at(d.object, "metadata");
  if (!md)
    throw manifests::manifest_error("\"" + r.source + "\": " + r.id
                                    + " is not a mapping");
  if (r.ns.empty())
    md->erase("namespace");
  else
    (*md)["namespace"] = r.ns;
  auto& lbl = (*md)["labels"];
  if (!lbl.is_object())
    lbl = json::object();
  lbl.as_object()[gc_mark_label] = gc_mark(set_name, r.id);
  auto& ann = (*md)["annotations"];
  if (!ann.is_object())
    ann = json::object();
  ann.as_object()[checksum_annotation] = d.checksum;
  return d;
}

std::map<std::string, std::string> annotations(const json::value& o) {
  return string_map(o, "annotations");
}

std::map<std::string, std::string> labels(const json::value& o) {
  return string_map(o, "labels");
}

std::optional<unsigned long long> resource_version(const json::value& o) {
  auto rv = str_at(o, "metadata", "resourceVersion");
  if (rv.empty() || rv.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::strtoull(rv.c_str(), nullptr, 10);
}

bool subset_equal(const json::value& desired, const json::value& live) {
  if (desired.is_object()) {
    if (!live.is_object())
      return false;
    const auto& l = live.as_object();
    for (const auto& kv : desired.as_object()) {
      auto it = l.find(kv.key());
      if (it == l.end()) {
        if (kv.value().is_null())
          continue; // a null in git sets nothing
        return false;
      }
      if (!subset_equal(kv.value(), it->value()))
        return false;
    }
    return true;
  }
  if (desired.is_array()) {
    if (!live.is_array())
      return false;
    const auto& d = desired.as_array();
    const auto& l = live.as_array();
    if (d.size() != l.size())
      return false;
    for (std::size_t i = 0; i < d.size(); ++i)
      if (!subset_equal(d[i], l[i]))
        return false;
    return true;
  }
  if (desired.is_number() && live.is_number())
    return numbers_equal(desired, live);
  return desired == live;
}

json::value parse_json(const std::string& text) {
  if (text.empty())
    return nullptr;
  json::error_code ec;
  auto v = kube::parse_json(text, ec);
  return ec ? json::value(nullptr) : v;
}

bool same_on(const json::value& shape, const json::value& a,
             const json::value& b) {
  if (shape.is_object() && a.is_object() && b.is_object()) {
    for (const auto& kv : shape.as_object()) {
      auto* x = a.as_object().if_contains(kv.key());
      auto* y = b.as_object().if_contains(kv.key());
      if (!x && !y)
        continue;
      if (!x || !y || !same_on(kv.value(), *x, *y))
        return false;
    }
    return true;
  }
  if (shape.is_array() && a.is_array() && b.is_array()) {
    const auto& s = shape.as_array();
    const auto& x = a.as_array();
    const auto& y = b.as_array();
    if (x.size() != y.size())
      return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same_on(i < s.size() ? s[i] : x[i], x[i], y[i]))
        return false;
    return true;
  }
  if (a.is_number() && b.is_number())
    return numbers_equal(a, b);
  return a == b;
}

std::string id_of(const json::value& o) {
  auto ns = str_at(o, "metadata", "namespace");
  return manifests::make_id(ns.empty() ? manifests::cluster_scope : ns,
                            str_at(o, "kind"), str_at(o, "metadata", "name"));
}

std::vector<gc_decision>
gc_plan(const std::vector<marked_object>& live, const std::string& set_name,
        const std::map<std::string, std::string>& checksums) {
  std::vector<gc_decision> out;
  for (const auto& o : live) {
    if (o.owned || o.mark != gc_mark(set_name, o.id))
      continue; // a copy with a copied label, or someone else's
    auto it = checksums.find(o.id);
    if (it == checksums.end()) {
      if (o.ignore == "true" || o.ignore == "sync_only")
        out.push_back({o, gc_decision::action::skip_ignored});
      else
        out.push_back({o, gc_decision::action::remove});
    } else if (it->second != o.checksum) {
      out.push_back({o, gc_decision::action::skip_not_updated});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    int ra = kind_rank(a.object.kind), rb = kind_rank(b.object.kind);
    if (ra != rb)
      return ra > rb;
    return a.object.name < b.object.name;
  });
  return out;
}

} // namespace fluxd::sync
