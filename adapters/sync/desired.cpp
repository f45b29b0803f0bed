#include "adapters/sync/desired.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <boost/json.hpp>
#include <openssl/sha.h>

#include "adapters/kube/json.hpp"
#include "adapters/manifests/policy.hpp"

namespace fluxd::sync {

namespace json = boost::json;

namespace {

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

namespace {

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

} // namespace

std::string sync_set_name(const std::string& sanitized_url,
                          const std::string& branch,
                          const std::vector<std::string>& paths) {
  std::string all = sanitized_url + branch;
  for (const auto& p : paths)
    all += p;
  return base64url(sha256_raw(all));
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
  d.ignore_in_file = manifests::ignored_in_file(r);
  d.object = manifests::prepare_for_apply(r, set_name);
  d.checksum = annotations(d.object)[checksum_annotation];
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

json::value parse_json(const std::string& text, json::storage_ptr sp) {
  if (text.empty())
    return json::value(nullptr, sp);
  json::error_code ec;
  auto v = kube::parse_json(text, ec, sp);
  return ec ? json::value(nullptr, sp) : v;
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

namespace {

void put_size(std::string& out, std::size_t n) {
  out += std::to_string(n);
  out += ':';
}

void put_string(std::string& out, std::string_view text) {
  put_size(out, text.size());
  out.append(text.data(), text.size());
}

/// Numbers as `numbers_equal` sees them: integral values (of any JSON
/// number type) as integers, the rest as doubles.
void put_number(std::string& out, const json::value& v) {
  if (v.is_int64()) {
    out += 'i' + std::to_string(v.get_int64());
    return;
  }
  if (v.is_uint64()) {
    auto u = v.get_uint64();
    out += u <= static_cast<std::uint64_t>(INT64_MAX)
             ? 'i' + std::to_string(static_cast<std::int64_t>(u))
             : 'u' + std::to_string(u);
    return;
  }
  double d = v.get_double();
  if (d >= -9.2e18 && d <= 9.2e18 && d == static_cast<double>(
                                       static_cast<std::int64_t>(d))) {
    out += 'i' + std::to_string(static_cast<std::int64_t>(d));
    return;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "d%.17g", d);
  out += buf;
}

/// The whole value, canonically (object keys sorted: JSON objects compare
/// regardless of order).
void put_whole(std::string& out, const json::value& v) {
  switch (v.kind()) {
  case json::kind::object: {
    std::vector<const json::key_value_pair*> kvs;
    for (const auto& kv : v.get_object())
      kvs.push_back(&kv);
    std::sort(kvs.begin(), kvs.end(),
              [](auto* a, auto* b) { return a->key() < b->key(); });
    out += '{';
    put_size(out, kvs.size());
    for (auto* kv : kvs) {
      put_string(out, kv->key());
      put_whole(out, kv->value());
    }
    out += '}';
    return;
  }
  case json::kind::array:
    out += '[';
    put_size(out, v.get_array().size());
    for (const auto& e : v.get_array())
      put_whole(out, e);
    out += ']';
    return;
  case json::kind::string:
    out += 's';
    put_string(out, v.get_string());
    return;
  case json::kind::int64:
  case json::kind::uint64:
  case json::kind::double_:
    put_number(out, v);
    return;
  case json::kind::bool_:
    out += v.get_bool() ? 'T' : 'F';
    return;
  case json::kind::null:
    out += 'N';
    return;
  }
}

/// Mirrors same_on: the shape's keys in the shape's order (the same for
/// both sides), an absent key marked as such.
void put_on(std::string& out, const json::value& shape, const json::value& v) {
  if (shape.is_object() && v.is_object()) {
    out += '{';
    for (const auto& kv : shape.get_object()) {
      auto* x = v.get_object().if_contains(kv.key());
      put_string(out, kv.key());
      if (!x)
        out += '-';
      else
        put_on(out, kv.value(), *x);
    }
    out += '}';
    return;
  }
  if (shape.is_array() && v.is_array()) {
    const auto& s = shape.get_array();
    const auto& x = v.get_array();
    out += '[';
    put_size(out, x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      if (i < s.size())
        put_on(out, s[i], x[i]);
      else
        put_whole(out, x[i]);
    out += ']';
    return;
  }
  // A shape that is an object or list where `v` is not: same_on compares
  // the values whole; mark the case so it never meets a projection.
  if (shape.is_structured())
    out += '!';
  put_whole(out, v);
}

} // namespace

std::string digest_on(const json::value& shape, const json::value& v) {
  std::string bytes;
  put_on(bytes, shape, v);
  return sha256_raw(bytes);
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
