#include "adapters/release/spec.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/image/ref.hpp"

namespace fluxd::release {

namespace json = boost::json;

namespace {

template <class... Ts>
struct overload : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overload(Ts...) -> overload<Ts...>;

const char* kind_text(release_kind k) {
  return k == release_kind::plan ? "plan" : "execute";
}

release_kind kind_from(const json::object& o, const char* field) {
  auto* v = o.if_contains(field);
  if (!v || !v->is_string())
    throw spec_error(std::string("release spec: ") + field +
                     " must be \"plan\" or \"execute\"");
  auto s = v->as_string();
  if (s == "plan")
    return release_kind::plan;
  if (s == "execute")
    return release_kind::execute;
  throw spec_error(std::string("release spec: unknown ") + field + " \"" +
                   std::string(s) + "\"");
}

std::string str_field(const json::object& o, const char* field) {
  auto* v = o.if_contains(field);
  if (!v || v->is_null())
    return {};
  if (!v->is_string())
    throw spec_error(std::string("update spec: ") + field +
                     " must be a string");
  return std::string(v->as_string());
}

bool bool_field(const json::object& o, const char* field) {
  auto* v = o.if_contains(field);
  if (!v || v->is_null())
    return false;
  if (!v->is_bool())
    throw spec_error(std::string("update spec: ") + field +
                     " must be a boolean");
  return v->as_bool();
}

std::vector<std::string> strings_field(const json::object& o,
                                       const char* field) {
  std::vector<std::string> out;
  auto* v = o.if_contains(field);
  if (!v || v->is_null())
    return out;
  if (!v->is_array())
    throw spec_error(std::string("update spec: ") + field +
                     " must be a list of strings");
  for (auto& e : v->as_array()) {
    if (!e.is_string())
      throw spec_error(std::string("update spec: ") + field +
                       " must be a list of strings");
    out.emplace_back(e.as_string());
  }
  return out;
}

const json::object& as_object(const json::value& v, const char* what) {
  if (!v.is_object())
    throw spec_error(std::string("update spec: ") + what +
                     " must be an object");
  return v.as_object();
}

json::array strings(const std::vector<std::string>& xs) {
  json::array a;
  for (auto& x : xs)
    a.emplace_back(x);
  return a;
}

/// A policy set: an object of strings, or (legacy) a list of names each
/// meaning "true".
manifests::policy_set policy_set_from(const json::value* v) {
  manifests::policy_set out;
  if (!v || v->is_null())
    return out;
  if (v->is_array()) {
    for (auto& e : v->as_array()) {
      if (!e.is_string())
        throw spec_error("policy spec: policy names must be strings");
      out[std::string(e.as_string())] = "true";
    }
    return out;
  }
  for (auto& [k, val] : as_object(*v, "policy set")) {
    if (!val.is_string())
      throw spec_error("policy spec: value of " + std::string(k) +
                       " must be a string");
    out[std::string(k)] = std::string(val.as_string());
  }
  return out;
}

json::object policy_set_json(const manifests::policy_set& s) {
  json::object o;
  for (auto& [k, v] : s)
    o[k] = v;
  return o;
}

json::value spec_body(const update_spec& s) {
  return std::visit(
    overload{
      [](const image_spec& x) -> json::value {
        json::object o;
        o["ServiceSpecs"] = strings(x.workloads);
        o["ImageSpec"] = x.image;
        o["Kind"] = kind_text(x.kind);
        o["Excludes"] = x.excludes.empty() ? json::value(nullptr)
                                           : json::value(strings(x.excludes));
        o["Force"] = x.force;
        return o;
      },
      [](const containers_spec& x) -> json::value {
        json::object specs;
        for (auto& [id, cs] : x.containers) {
          json::array a;
          for (auto& c : cs)
            a.emplace_back(json::object{{"Container", c.container},
                                        {"Current", c.current},
                                        {"Target", c.target}});
          specs[id] = std::move(a);
        }
        return json::object{{"ContainerSpecs", std::move(specs)},
                            {"Kind", kind_text(x.kind)},
                            {"SkipMismatches", x.skip_mismatches},
                            {"Force", x.force}};
      },
      [](const policy_spec& x) -> json::value {
        json::object o;
        for (auto& [id, u] : x) {
          json::object c;
          if (!u.add.empty())
            c["add"] = policy_set_json(u.add);
          if (!u.remove.empty())
            c["remove"] = policy_set_json(u.remove);
          o[id] = std::move(c);
        }
        return o;
      },
      [](const auto_spec& x) -> json::value {
        json::array a;
        for (auto& c : x.changes)
          a.emplace_back(json::object{
            {"WorkloadID", c.workload},
            {"Container",
             json::object{{"Name", c.container}, {"Image", c.current}}},
            {"ImageID", c.image}});
        return json::object{{"Changes", std::move(a)}};
      },
      [](const sync_spec&) -> json::value { return json::object{}; }},
    s.spec);
}

} // namespace

bool image_spec::all() const {
  return std::find(workloads.begin(), workloads.end(), all_workloads) !=
         workloads.end();
}

bool image_spec::latest() const { return image == all_latest; }

std::string update_spec::type() const {
  static const char* names[] = {"image", "containers", "policy", "auto",
                                "sync"};
  return names[spec.index()];
}

bool update_spec::is_plan() const {
  if (auto* i = std::get_if<image_spec>(&spec))
    return i->kind == release_kind::plan;
  if (auto* c = std::get_if<containers_spec>(&spec))
    return c->kind == release_kind::plan;
  return false;
}

json::value to_json(const update_spec& s) {
  return json::object{
    {"type", s.type()},
    {"cause",
     json::object{{"Message", s.why.message}, {"User", s.why.user}}},
    {"spec", spec_body(s)}};
}

update_spec spec_from_json(const json::value& v) {
  auto& o = as_object(v, "body");
  update_spec out;
  std::string type = str_field(o, "type");
  if (auto* c = o.if_contains("cause"); c && !c->is_null()) {
    auto& co = as_object(*c, "cause");
    out.why.message = str_field(co, "Message");
    out.why.user = str_field(co, "User");
  }
  static const json::value empty = json::object{};
  const json::value* body = o.if_contains("spec");
  if (!body || body->is_null())
    body = &empty;
  if (type == "image") {
    auto& b = as_object(*body, "spec");
    image_spec x;
    x.workloads = strings_field(b, "ServiceSpecs");
    x.image = str_field(b, "ImageSpec");
    x.kind = kind_from(b, "Kind");
    x.excludes = strings_field(b, "Excludes");
    x.force = bool_field(b, "Force");
    check_image_spec(x.image);
    out.spec = std::move(x);
  } else if (type == "containers") {
    auto& b = as_object(*body, "spec");
    containers_spec x;
    x.kind = kind_from(b, "Kind");
    x.skip_mismatches = bool_field(b, "SkipMismatches");
    x.force = bool_field(b, "Force");
    if (auto* cs = b.if_contains("ContainerSpecs"); cs && !cs->is_null()) {
      for (auto& [id, list] : as_object(*cs, "ContainerSpecs")) {
        auto& dst = x.containers[std::string(id)];
        if (!list.is_array())
          throw spec_error("containers spec: " + std::string(id) +
                           " must be a list");
        for (auto& e : list.as_array()) {
          auto& eo = as_object(e, "container spec");
          dst.push_back({str_field(eo, "Container"), str_field(eo, "Current"),
                         str_field(eo, "Target")});
        }
      }
    }
    out.spec = std::move(x);
  } else if (type == "policy") {
    policy_spec x;
    for (auto& [id, ch] : as_object(*body, "spec")) {
      auto& co = as_object(ch, "policy changes");
      auto& u = x[std::string(id)];
      u.add = policy_set_from(co.if_contains("add"));
      u.remove = policy_set_from(co.if_contains("remove"));
    }
    out.spec = std::move(x);
  } else if (type == "auto") {
    auto& b = as_object(*body, "spec");
    auto_spec x;
    if (auto* cs = b.if_contains("Changes"); cs && cs->is_array()) {
      for (auto& e : cs->as_array()) {
        auto& eo = as_object(e, "change");
        auto_change c;
        c.workload = str_field(eo, "WorkloadID");
        c.image = str_field(eo, "ImageID");
        if (auto* ct = eo.if_contains("Container"); ct && ct->is_object()) {
          c.container = str_field(ct->as_object(), "Name");
          c.current = str_field(ct->as_object(), "Image");
        }
        x.changes.push_back(std::move(c));
      }
    }
    out.spec = std::move(x);
  } else if (type == "sync") {
    out.spec = sync_spec{};
  } else {
    throw spec_error("unknown spec type: " + type);
  }
  return out;
}

update_spec parse_spec(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec)
    throw spec_error("update spec: invalid JSON: " + ec.message());
  return spec_from_json(v);
}

std::string serialize(const update_spec& s) {
  return json::serialize(to_json(s));
}

void check_image_spec(const std::string& text) {
  if (text == all_latest)
    return;
  if (text.empty() || text.front() == '<')
    throw spec_error("invalid image spec \"" + text + "\"");
  image::ref r;
  try {
    r = image::parse_ref(text);
  } catch (const image::ref_error& e) {
    throw spec_error(e.what());
  }
  if (r.tag.empty())
    throw spec_error("invalid image spec \"" + text +
                     "\": image must have a tag");
}

} // namespace fluxd::release
