#include "adapters/manifests/json.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <re2/re2.h>

#include "adapters/manifests/patch.hpp"
#include "adapters/manifests/resource.hpp"

namespace fluxd::manifests {

namespace {

bool one_of(const std::string& s, std::initializer_list<const char*> xs) {
  for (const char* x : xs)
    if (s == x)
      return true;
  return false;
}

std::string without_underscores(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != '_')
      out += c;
  return out;
}

/// go-yaml v2's resolve() for plain scalars.
boost::json::value resolve_plain(const std::string& s) {
  if (one_of(s, {"", "~", "null", "Null", "NULL"}))
    return nullptr;
  if (one_of(s, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on",
                 "On", "ON"}))
    return true;
  if (one_of(s, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off",
                 "Off", "OFF"}))
    return false;
  static const RE2 int_re("[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0[0-7_]+|[0-9_]+)");
  static const RE2 float_re(
    "[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+]?[0-9]+)?|"
    "[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+");
  if (RE2::FullMatch(s, int_re) && s.find_first_of("0123456789") != s.npos) {
    auto t = without_underscores(s);
    bool neg = !t.empty() && t[0] == '-';
    std::string digits = (t[0] == '-' || t[0] == '+') ? t.substr(1) : t;
    int base = 10;
    if (digits.rfind("0b", 0) == 0) {
      base = 2;
      digits = digits.substr(2);
    } else if (digits.rfind("0x", 0) == 0) {
      base = 16;
      digits = digits.substr(2);
    } else if (digits.size() > 1 && digits[0] == '0') {
      base = 8;
    }
    if (!digits.empty()) {
      errno = 0;
      char* end = nullptr;
      auto v = std::strtoull(digits.c_str(), &end, base);
      if (errno == 0 && *end == '\0') {
        if (!neg && v <= static_cast<unsigned long long>(INT64_MAX))
          return static_cast<std::int64_t>(v);
        if (neg && v <= static_cast<unsigned long long>(INT64_MAX) + 1)
          return v == static_cast<unsigned long long>(INT64_MAX) + 1
                   ? INT64_MIN
                   : -static_cast<std::int64_t>(v);
        if (!neg)
          return static_cast<std::uint64_t>(v);
      }
    }
  }
  if (RE2::FullMatch(s, float_re) && s.find_first_of("0123456789") != s.npos) {
    auto t = without_underscores(s);
    return std::strtod(t.c_str(), nullptr);
  }
  if (one_of(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
                 "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"}))
    throw manifest_error("value " + s + " cannot be represented in JSON");
  return boost::json::string(s);
}

boost::json::value scalar(const YAML::Node& n) {
  const auto& tag = n.Tag();
  const auto& s = n.Scalar();
  if (tag == "!" || tag == "tag:yaml.org,2002:str")
    return boost::json::string(s);
  if (tag == "?" || tag.empty())
    return resolve_plain(s);
  if (tag == "tag:yaml.org,2002:null")
    return nullptr;
  if (tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:int"
      || tag == "tag:yaml.org,2002:float") {
    auto v = resolve_plain(s);
    bool ok = (tag.back() == 'l' && v.is_bool())
              || (tag.back() == 't' && tag.find("int") != tag.npos
                  && (v.is_int64() || v.is_uint64()))
              || (tag.find("float") != tag.npos && v.is_number());
    if (!ok)
      throw manifest_error("cannot decode \"" + s + "\" as " + tag);
    return v;
  }
  return boost::json::string(s); // unknown tags: the text, as go-yaml
}

boost::json::value convert(const YAML::Node& n, int depth) {
  if (depth > 600)
    throw manifest_error("document nested too deeply");
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalar(n);
    case YAML::NodeType::Sequence: {
      boost::json::array a;
      for (auto it = n.begin(); it != n.end(); ++it)
        a.push_back(convert(*it, depth + 1));
      return a;
    }
    case YAML::NodeType::Map: {
      boost::json::object o;
      std::vector<YAML::Node> merges;
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->first.IsScalar())
          throw manifest_error("mapping keys must be scalars");
        if (it->first.Scalar() == "<<" && it->first.Tag() == "?") {
          merges.push_back(it->second);
          continue;
        }
        // Keys keep their text (`y:`, `on:`, `8080:`): JSON keys are
        // strings, and Kubernetes never wants a key turned into `true`.
        o[it->first.Scalar()] = convert(it->second, depth + 1);
      }
      // `<<` merges fill in keys the mapping does not set itself.
      for (const auto& m : merges) {
        std::vector<YAML::Node> sources;
        if (m.IsSequence())
          for (auto it = m.begin(); it != m.end(); ++it)
            sources.push_back(*it);
        else
          sources.push_back(m);
        for (const auto& src : sources) {
          auto merged = convert(src, depth + 1);
          if (!merged.is_object())
            throw manifest_error("a << merge needs a mapping");
          for (auto& kv : merged.as_object())
            if (!o.contains(kv.key()))
              o[kv.key()] = kv.value();
        }
      }
      return o;
    }
  }
  return nullptr;
}

} // namespace

boost::json::value to_json(const YAML::Node& node) { return convert(node, 0); }

std::string checksum(const YAML::Node& node) {
  auto text = emit_sorted(node);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha1(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

} // namespace fluxd::manifests
