#include "adapters/kube/export.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <boost/json.hpp>

#include "adapters/kube/workloads.hpp"
#include "adapters/manifests/yaml_text.hpp"

namespace fluxd::kube {

namespace json = boost::json;

namespace {

/// The shortest text that reads back as the same double, in a form YAML
/// 1.1 resolves as a float (a dot before the exponent, a signed exponent).
std::string double_text(double d) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d)
      break;
  }
  std::string s = buf;
  auto e = s.find('e');
  if (s.find('.') == std::string::npos && s.find("inf") == std::string::npos
      && s.find("nan") == std::string::npos)
    s.insert(e == std::string::npos ? s.size() : e, ".0");
  return s;
}

std::string scalar_text(const json::value& v) {
  if (v.is_string()) {
    std::string_view s = v.get_string();
    if (manifests::yaml_text::plain_safe(s, false))
      return std::string(s);
    // JSON's escapes are all valid in a YAML double-quoted scalar.
    return json::serialize(v);
  }
  if (v.is_null())
    return "null";
  if (v.is_double())
    return double_text(v.get_double());
  return json::serialize(v); // integers and booleans read back the same
}

bool inline_value(const json::value& v) {
  if (v.is_object())
    return v.get_object().empty();
  if (v.is_array())
    return v.get_array().empty();
  return true;
}

std::string inline_text(const json::value& v) {
  if (v.is_object())
    return "{}";
  if (v.is_array())
    return "[]";
  return scalar_text(v);
}

void emit(const json::value& v, std::size_t indent, std::string& out);

/// An item of a sequence: its block at `indent + 2` with the first
/// indentation replaced by the dash.
void emit_item(const json::value& item, std::size_t indent, std::string& out) {
  std::string pad(indent, ' ');
  if (inline_value(item)) {
    out += pad + "- " + inline_text(item) + "\n";
    return;
  }
  std::string block;
  emit(item, indent + 2, block);
  out += pad + "- " + block.substr(indent + 2);
}

void emit(const json::value& v, std::size_t indent, std::string& out) {
  std::string pad(indent, ' ');
  if (v.is_array()) {
    for (const auto& item : v.get_array())
      emit_item(item, indent, out);
    return;
  }
  if (!v.is_object()) {
    out += pad + inline_text(v) + "\n";
    return;
  }
  const auto& o = v.get_object();
  std::vector<std::string_view> keys;
  for (const auto& kv : o)
    keys.push_back(kv.key());
  std::sort(keys.begin(), keys.end());
  for (auto key : keys) {
    const auto& value = o.at(key);
    auto k = scalar_text(json::value(key));
    if (inline_value(value)) {
      out += pad + k + ": " + inline_text(value) + "\n";
    } else if (value.is_array()) {
      out += pad + k + ":\n";
      emit(value, indent, out);
    } else {
      out += pad + k + ":\n";
      emit(value, indent + 2, out);
    }
  }
}

/// Resolves a workload kind, trying its fallback version; nullopt when the
/// server serves neither.
std::optional<resource_info> resolve(client& c, const workload_kind& k) {
  for (const auto& v : {k.api_version, k.fallback_api_version}) {
    if (v.empty())
      continue;
    try {
      return c.discovery().resolve(v, k.kind);
    } catch (const unknown_kind_error&) {
      // try the next version
    }
  }
  return std::nullopt;
}

bool skippable(const api_error& e) {
  return e.code() == 404 || e.code() == 403 || e.code() == 401;
}

} // namespace

std::vector<json::value>
existing_namespaces(client& c, const std::vector<std::string>& allowed,
                    std::chrono::milliseconds timeout) {
  std::vector<json::value> out;
  if (allowed.empty()) {
    list_options lo;
    lo.timeout = timeout;
    auto page = c.list_all(c.discovery().resolve("v1", "Namespace"), "", lo);
    for (auto& item : page.items)
      out.push_back(std::move(item));
    return out;
  }
  for (const auto& name : allowed) {
    try {
      out.push_back(c.get({"v1", "Namespace", "", name}, timeout));
    } catch (const api_error& e) {
      if (!skippable(e))
        throw;
    }
  }
  return out;
}

std::string export_cluster(client& c, const std::vector<std::string>& allowed,
                           std::chrono::milliseconds timeout) {
  std::vector<json::value> docs;
  std::vector<resource_info> kinds;
  for (const auto& k : workload_kinds())
    if (auto res = resolve(c, k))
      kinds.push_back(*res);
  for (auto& ns : existing_namespaces(c, allowed, timeout)) {
    auto& o = ns.as_object();
    o["apiVersion"] = "v1";
    o["kind"] = "Namespace";
    auto name = std::string(o["metadata"].as_object()["name"].as_string());
    docs.push_back(std::move(ns));
    for (const auto& res : kinds) {
      list_options lo;
      lo.timeout = timeout;
      list_page page;
      try {
        page = c.list_all(res, name, lo);
      } catch (const api_error& e) {
        if (skippable(e))
          continue;
        throw;
      }
      for (auto& item : page.items)
        if (!is_addon(item))
          docs.push_back(std::move(item));
    }
  }
  return to_yaml_stream(docs);
}

std::string to_yaml_stream(const std::vector<json::value>& docs) {
  std::string out;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (i > 0)
      out += "---\n";
    emit(docs[i], 0, out);
  }
  return out;
}

} // namespace fluxd::kube
