#include "tests/kube_emulator/objects.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <regex>

#include <yaml-cpp/yaml.h>

#include "adapters/tls/cert_authority.hpp"

namespace kube_emulator {

json::object api_error::status() const {
  json::object s{
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object{}},
      {"status", "Failure"}, {"message", what()},  {"reason", reason_},
      {"code", code_}};
  if (!details_.empty())
    s["details"] = details_;
  return s;
}

api_error bad_request(const std::string& message) {
  return api_error(400, "BadRequest", message);
}

api_error invalid(const std::string& kind, const std::string& name,
                  const std::string& field, const std::string& message) {
  std::string cause = "FieldValueInvalid";
  if (message.rfind("Required value", 0) == 0)
    cause = "FieldValueRequired";
  else if (message.rfind("Unsupported value", 0) == 0)
    cause = "FieldValueNotSupported";
  auto dot = kind.find('.');
  json::object details{
      {"name", name},
      {"kind", kind.substr(0, dot)},
      {"causes",
       {{{"reason", cause}, {"message", message}, {"field", field}}}}};
  if (dot != std::string::npos)
    details["group"] = kind.substr(dot + 1);
  return api_error(422, "Invalid",
                   kind + " \"" + name + "\" is invalid: " + field + ": "
                       + message,
                   std::move(details));
}

const json::object* child(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

json::object* child(json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

json::object& child_or_create(json::object& o, std::string_view key) {
  auto& v = o[key];
  if (!v.is_object())
    v = json::object{};
  return v.as_object();
}

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string{};
}

std::string meta_str(const json::object& o, std::string_view key) {
  auto* md = child(o, "metadata");
  return md ? str(*md, key) : std::string{};
}

std::string now_rfc3339() {
  // Formatted once a second: every write stamps a time or two.
  thread_local std::time_t last = -1;
  thread_local char buf[32];
  std::time_t t = std::time(nullptr);
  if (t != last) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    last = t;
  }
  return buf;
}

namespace {

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

} // namespace

std::string new_uid() {
  auto a = rng()(), b = rng()();
  a = (a & ~0xf000ULL) | 0x4000ULL;                         // version 4
  b = (b & ~0xc000000000000000ULL) | 0x8000000000000000ULL; // variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(a >> 32),
                static_cast<unsigned long long>((a >> 16) & 0xffff),
                static_cast<unsigned long long>(a & 0xffff),
                static_cast<unsigned long long>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string random_suffix() {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < 5; ++i)
    out += alphabet[rng()() % (sizeof alphabet - 1)];
  return out;
}

// -- bodies ------------------------------------------------------------------

namespace {

json::value scalar_to_json(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!")
    return json::string(s); // quoted: always a string
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
    return nullptr;
  if (s == "true" || s == "True" || s == "TRUE")
    return true;
  if (s == "false" || s == "False" || s == "FALSE")
    return false;
  static const std::regex int_re{"[-+]?[0-9]+"};
  static const std::regex float_re{
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"};
  if (std::regex_match(s, int_re)) {
    try {
      return static_cast<std::int64_t>(std::stoll(s));
    } catch (const std::out_of_range&) {
      return std::stod(s);
    }
  }
  if (std::regex_match(s, float_re))
    return std::stod(s);
  return json::string(s);
}

/// Aliases can make cycles and exponential trees ("billion laughs"): both
/// are cut off by depth and by the number of nodes visited.
struct yaml_budget {
  std::size_t nodes = 0;
};

json::value node_to_json(const YAML::Node& node, std::size_t depth,
                         yaml_budget& budget) {
  if (depth > max_depth)
    throw std::runtime_error("nesting too deep");
  if (++budget.nodes > 1000000)
    throw std::runtime_error("too many nodes (alias expansion?)");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      json::array a;
      for (auto& item : node)
        a.push_back(node_to_json(item, depth + 1, budget));
      return a;
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (auto& kv : node)
        o[kv.first.as<std::string>()] =
            node_to_json(kv.second, depth + 1, budget);
      return o;
    }
  }
  return nullptr;
}

} // namespace

json::value yaml_to_json(const std::string& text) {
  yaml_budget budget;
  return node_to_json(YAML::Load(text), 0, budget);
}

json::value parse_json(const std::string& text, boost::system::error_code& ec) {
  json::parse_options po;
  po.max_depth = max_depth;
  return json::parse(text, ec, {}, po);
}

json::value parse_body(const std::string& body, std::string_view what) {
  auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    throw bad_request(std::string(what) + ": empty request body");
  if (body[first] == '{' || body[first] == '[') {
    boost::system::error_code ec;
    auto v = parse_json(body, ec);
    if (ec)
      throw bad_request(std::string(what) + ": invalid JSON: " + ec.message());
    return v;
  }
  // yaml-cpp recurses per level: refuse absurd flow nesting up front.
  int depth = 0, deepest = 0;
  for (char c : body) {
    if (c == '[' || c == '{')
      deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}')
      --depth;
  }
  if (deepest > static_cast<int>(max_depth))
    throw bad_request(std::string(what) + ": nesting too deep");
  try {
    return yaml_to_json(body);
  } catch (const std::exception& e) {
    throw bad_request(std::string(what) + ": invalid YAML: " + e.what());
  }
}

bool spec_changed(const json::object& before, const json::object& after) {
  auto count_rest = [](const json::object& o) {
    size_t n = 0;
    for (auto& kv : o)
      if (kv.key() != "metadata" && kv.key() != "status")
        ++n;
    return n;
  };
  if (count_rest(before) != count_rest(after))
    return true;
  for (auto& kv : after) {
    if (kv.key() == "metadata" || kv.key() == "status")
      continue;
    auto* b = before.if_contains(kv.key());
    if (!b || *b != kv.value())
      return true;
  }
  return false;
}

// -- validation
// ----------------------------------------------------------------

namespace {

std::string qualified_kind(const resource_type& type) {
  return type.group.empty() ? type.kind : type.kind + "." + type.group;
}

// Hand-written matchers: std::regex cost a few % of every write.

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool alnum(char c) {
  return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool rfc1123_label(std::string_view s) {
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back()))
    return false;
  for (char c : s)
    if (!lower_alnum(c) && c != '-')
      return false;
  return true;
}

bool dns_label(const std::string& s) {
  return s.size() <= 63 && rfc1123_label(s);
}

/// Labels joined by dots.
bool dns_subdomain(const std::string& s) {
  if (s.size() > 253)
    return false;
  std::string_view rest{s};
  for (;;) {
    auto dot = rest.find('.');
    if (!rfc1123_label(rest.substr(0, dot)))
      return false;
    if (dot == std::string_view::npos)
      return true;
    rest.remove_prefix(dot + 1);
  }
}

/// ([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?
bool label_value(const std::string& s) {
  if (s.empty())
    return true;
  if (s.size() > 63 || !alnum(s.front()) || !alnum(s.back()))
    return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

bool label_key(const std::string& s) {
  auto slash = s.find('/');
  std::string name = slash == std::string::npos ? s : s.substr(slash + 1);
  if (slash != std::string::npos && !dns_subdomain(s.substr(0, slash)))
    return false;
  return !name.empty() && label_value(name);
}

void validate_pod_spec(const std::string& kind, const std::string& name,
                       const json::object* spec, const std::string& field) {
  auto* containers = spec ? spec->if_contains("containers") : nullptr;
  if (!containers || !containers->is_array() || containers->as_array().empty())
    throw invalid(kind, name, field + ".containers", "Required value");
  size_t i = 0;
  for (auto& c : containers->as_array()) {
    std::string at = field + ".containers[" + std::to_string(i++) + "]";
    if (!c.is_object())
      throw invalid(kind, name, at, "Invalid value: must be an object");
    if (str(c.as_object(), "name").empty())
      throw invalid(kind, name, at + ".name", "Required value");
    if (str(c.as_object(), "image").empty())
      throw invalid(kind, name, at + ".image", "Required value");
  }
}

void validate_workload(const std::string& kind, const std::string& name,
                       const json::object& obj) {
  auto* spec = child(obj, "spec");
  if (!spec)
    throw invalid(kind, name, "spec", "Required value");
  auto* sel = child(*spec, "selector");
  if (!sel)
    throw invalid(kind, name, "spec.selector", "Required value");
  auto* tmpl = child(*spec, "template");
  auto* tmeta = tmpl ? child(*tmpl, "metadata") : nullptr;
  auto* tlabels = tmeta ? child(*tmeta, "labels") : nullptr;
  if (auto* ml = child(*sel, "matchLabels"))
    for (auto& kv : *ml) {
      auto* v = tlabels ? tlabels->if_contains(kv.key()) : nullptr;
      if (!v || *v != kv.value())
        throw invalid(kind, name, "spec.template.metadata.labels",
                      "Invalid value: `selector` does not match template "
                      "`labels`");
    }
  validate_pod_spec(kind, name, tmpl ? child(*tmpl, "spec") : nullptr,
                    "spec.template.spec");
}

} // namespace

void validate(const resource_type& type, const json::object& obj) {
  auto kind = qualified_kind(type);
  auto name = meta_str(obj, "name");
  if (name.empty())
    throw invalid(kind, name, "metadata.name",
                  "Required value: name or "
                  "generateName is required");
  bool ok = true;
  if (type.kind == "Namespace" || type.kind == "Service")
    ok = dns_label(name);
  else if (!type.crd_name.empty() || type.group.rfind("rbac.", 0) == 0)
    ok = name != "." && name != ".." && name.find('/') == std::string::npos
         && name.find('%') == std::string::npos;
  else
    ok = dns_subdomain(name);
  if (!ok)
    throw invalid(
        kind, name, "metadata.name",
        "Invalid value: \"" + name
            + "\": a lowercase RFC 1123 "
              "name must consist of lower case alphanumeric characters, "
              "'-' or '.'");
  if (auto* md = child(obj, "metadata"))
    if (auto* labels = md->if_contains("labels");
        labels && !labels->is_null()) {
      if (!labels->is_object())
        throw invalid(kind, name, "metadata.labels",
                      "Invalid value: must be a map of strings");
      for (auto& kv : labels->as_object()) {
        std::string key(kv.key());
        if (!label_key(key))
          throw invalid(kind, name, "metadata.labels",
                        "Invalid value: \"" + key + "\": invalid label key");
        if (!kv.value().is_string()
            || !label_value(std::string(kv.value().as_string())))
          throw invalid(kind, name, "metadata.labels",
                        "Invalid value: invalid label value for \"" + key
                            + "\"");
      }
    }
  if (type.kind == "ConfigMap" || type.kind == "Secret")
    for (const char* key : {"data", "stringData"})
      if (auto* data = obj.if_contains(key); data && !data->is_null()) {
        if (!data->is_object())
          throw invalid(kind, name, key, "Invalid value: must be a map");
        for (auto& kv : data->as_object())
          if (!kv.value().is_string())
            throw invalid(kind, name,
                          std::string(key) + "[" + std::string(kv.key()) + "]",
                          "Invalid value: must be a string");
      }
  if (type.kind == "Secret")
    if (auto* data = child(obj, "data"))
      for (auto& kv : *data) {
        auto v = std::string(kv.value().as_string());
        if (v.size() % 4 != 0
            || v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                   "opqrstuvwxyz0123456789+/=")
                   != std::string::npos)
          throw invalid(kind, name, "data[" + std::string(kv.key()) + "]",
                        "Invalid value: illegal base64 data");
      }
  if (type.kind == "Deployment" || type.kind == "StatefulSet"
      || type.kind == "DaemonSet" || type.kind == "ReplicaSet")
    validate_workload(kind, name, obj);
  else if (type.kind == "Pod")
    validate_pod_spec(kind, name, child(obj, "spec"), "spec");
  else if (type.kind == "Job") {
    auto* spec = child(obj, "spec");
    auto* tmpl = spec ? child(*spec, "template") : nullptr;
    validate_pod_spec(kind, name, tmpl ? child(*tmpl, "spec") : nullptr,
                      "spec.template.spec");
  } else if (type.kind == "CronJob") {
    auto* spec = child(obj, "spec");
    if (!spec || str(*spec, "schedule").empty())
      throw invalid(kind, name, "spec.schedule", "Required value");
  }
}

// -- defaults
// ------------------------------------------------------------------

namespace {

void set_default(json::object& o, std::string_view key, json::value v) {
  if (!o.contains(key) || o.at(key).is_null())
    o[key] = std::move(v);
}

} // namespace

void validate_update(const resource_type& type, const json::object& before,
                     const json::object& after) {
  auto field = [](const json::object& o, const char* a, const char* b) {
    auto* x = child(o, a);
    auto* v = x ? x->if_contains(b) : nullptr;
    return v ? *v : json::value{};
  };
  auto immutable = [&](const char* a, const char* b) {
    auto old_v = field(before, a, b);
    auto new_v = field(after, a, b);
    if (old_v != new_v)
      throw invalid(
          type.group.empty() ? type.kind : type.kind + "." + type.group,
          meta_str(after, "name"), std::string(a) + "." + b,
          "Invalid value: " + json::serialize(new_v) + ": field is immutable");
  };
  if (type.group == "apps" || type.kind == "Job")
    immutable("spec", "selector");
  if (type.kind == "Job")
    immutable("spec", "template");
  if (type.kind == "Service" && !field(before, "spec", "clusterIP").is_null()
      && !field(after, "spec", "clusterIP").is_null())
    immutable("spec", "clusterIP");
}

void apply_defaults(const resource_type& type, json::object& obj) {
  if (type.kind == "Secret") {
    set_default(obj, "type", "Opaque");
    // stringData is write-only: it lands in data, base64-encoded.
    auto* sd = obj.if_contains("stringData");
    if (sd && sd->is_object()) {
      bool all_strings = true;
      for (auto& kv : sd->as_object())
        all_strings = all_strings && kv.value().is_string();
      if (all_strings) {
        json::object encoded = sd->as_object();
        for (auto& kv : encoded)
          kv.value() =
              fluxd::tls::base64_encode(std::string(kv.value().as_string()));
        obj.erase("stringData");
        auto& data = child_or_create(obj, "data");
        for (auto& kv : encoded)
          data[kv.key()] = kv.value();
      }
    }
    return;
  }
  if (type.kind == "Namespace") {
    auto& spec = child_or_create(obj, "spec");
    set_default(spec, "finalizers", json::array{"kubernetes"});
    set_default(child_or_create(obj, "status"), "phase", "Active");
  } else if (type.kind == "Deployment") {
    auto& spec = child_or_create(obj, "spec");
    set_default(spec, "replicas", 1);
    set_default(spec, "revisionHistoryLimit", 10);
    set_default(spec, "progressDeadlineSeconds", 600);
    set_default(
        spec, "strategy",
        json::object{{"type", "RollingUpdate"},
                     {"rollingUpdate",
                      {{"maxUnavailable", "25%"}, {"maxSurge", "25%"}}}});
  } else if (type.kind == "StatefulSet" || type.kind == "ReplicaSet") {
    auto& spec = child_or_create(obj, "spec");
    set_default(spec, "replicas", 1);
    if (type.kind == "StatefulSet") {
      set_default(spec, "podManagementPolicy", "OrderedReady");
      set_default(spec, "revisionHistoryLimit", 10);
      set_default(spec, "updateStrategy",
                  json::object{{"type", "RollingUpdate"},
                               {"rollingUpdate", {{"partition", 0}}}});
    }
  } else if (type.kind == "DaemonSet") {
    auto& spec = child_or_create(obj, "spec");
    set_default(spec, "revisionHistoryLimit", 10);
    set_default(spec, "updateStrategy",
                json::object{{"type", "RollingUpdate"},
                             {"rollingUpdate",
                              {{"maxUnavailable", 1}, {"maxSurge", 0}}}});
  } else if (type.kind == "Service") {
    auto& spec = child_or_create(obj, "spec");
    set_default(spec, "type", "ClusterIP");
    set_default(spec, "sessionAffinity", "None");
    if (!spec.contains("clusterIP")) {
      auto h = std::hash<std::string>{}(meta_str(obj, "namespace") + "/"
                                        + meta_str(obj, "name"));
      spec["clusterIP"] = "10.96." + std::to_string((h >> 8) % 254 + 1) + "."
                          + std::to_string(h % 254 + 1);
    }
    if (auto* ports = spec.if_contains("ports"); ports && ports->is_array())
      for (auto& p : ports->as_array())
        if (p.is_object()) {
          auto& po = p.as_object();
          set_default(po, "protocol", "TCP");
          if (auto* port = po.if_contains("port"))
            set_default(po, "targetPort", *port);
        }
  } else if (type.kind == "Pod") {
    set_default(child_or_create(obj, "status"), "phase", "Pending");
  }
}

} // namespace kube_emulator
