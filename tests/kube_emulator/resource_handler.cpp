/// Requests on resources: get, list, watch (watch.cpp), create, update,
/// patch, delete, and the /status and /scale subresources.
#include "tests/kube_emulator/server.hpp"

#include <optional>

#include <httplib.h>

#include "tests/kube_emulator/objects.hpp"
#include "tests/kube_emulator/patch.hpp"
#include "tests/kube_emulator/table.hpp"

namespace kube_emulator {

namespace {

std::string param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string{};
}

bool truthy(const std::string& v) {
  return v == "true" || v == "1";
}

json::object scale_of(const json::object& obj) {
  json::object meta;
  for (const char* k :
       {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
    if (auto v = meta_str(obj, k); !v.empty())
      meta[k] = v;
  std::int64_t spec_replicas = 0, status_replicas = 0;
  std::string selector;
  if (auto* spec = child(obj, "spec")) {
    if (auto* r = spec->if_contains("replicas"); r && r->is_int64())
      spec_replicas = r->as_int64();
    if (auto* sel = child(*spec, "selector"))
      if (auto* ml = child(*sel, "matchLabels"))
        for (auto& kv : *ml)
          selector +=
              (selector.empty() ? "" : ",") + std::string(kv.key()) + "="
              + (kv.value().is_string() ? std::string(kv.value().as_string())
                                        : std::string{});
  }
  if (auto* st = child(obj, "status"))
    if (auto* r = st->if_contains("replicas"); r && r->is_int64())
      status_replicas = r->as_int64();
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", meta},
          {"spec", {{"replicas", spec_replicas}}},
          {"status", {{"replicas", status_replicas}, {"selector", selector}}}};
}

std::string patch_kind(const std::string& content_type) {
  auto semi = content_type.find(';');
  auto mt = content_type.substr(0, semi);
  if (mt == "application/json-patch+json")
    return "json-patch";
  if (mt == "application/merge-patch+json")
    return "merge-patch";
  if (mt == "application/strategic-merge-patch+json")
    return "strategic-merge-patch";
  if (mt == "application/apply-patch+yaml"
      || mt == "application/apply-patch+json")
    return "apply-patch";
  return mt;
}

json::object parse_object(const httplib::Request& req, const char* what) {
  auto ct = req.get_header_value("Content-Type");
  if (ct.find("protobuf") != std::string::npos)
    throw api_error(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - "
                    "accepted media types include: application/json, "
                    "application/yaml");
  auto v = parse_body(req.body, what);
  if (!v.is_object())
    throw bad_request(std::string(what) + ": the body must be an object");
  return std::move(v.as_object());
}

delete_options parse_delete(const httplib::Request& req) {
  delete_options opts;
  if (auto p = param(req, "propagationPolicy"); !p.empty())
    opts.propagation = p;
  if (param(req, "orphanDependents") == "true")
    opts.propagation = "Orphan";
  opts.dry_run = param(req, "dryRun") == "All";
  if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto v = parse_body(req.body, "DeleteOptions");
    if (!v.is_object())
      throw bad_request("DeleteOptions: the body must be an object");
    auto& o = v.as_object();
    if (auto p = str(o, "propagationPolicy"); !p.empty())
      opts.propagation = p;
    if (auto* orphan = o.if_contains("orphanDependents");
        orphan && orphan->is_bool())
      opts.propagation = orphan->as_bool() ? "Orphan" : "Background";
    if (auto* pre = child(o, "preconditions")) {
      opts.precondition_uid = str(*pre, "uid");
      opts.precondition_rv = str(*pre, "resourceVersion");
    }
    if (auto* dr = o.if_contains("dryRun"); dr && dr->is_array())
      for (auto& x : dr->as_array())
        if (x.is_string() && x.as_string() == "All")
          opts.dry_run = true;
  }
  if (opts.propagation != "Orphan" && opts.propagation != "Background"
      && opts.propagation != "Foreground")
    throw invalid("DeleteOptions", "", "propagationPolicy",
                  "Unsupported value: \"" + opts.propagation + "\"");
  return opts;
}

/// A list response, serialised without copying the stored objects.
std::string render_list(const resource_type& type, const list_page& page) {
  std::string out = "{\"kind\":\"" + type.kind + "List\",\"apiVersion\":\""
                    + type.group_version()
                    + "\",\"metadata\":{\"resourceVersion\":\""
                    + std::to_string(page.rv) + "\"";
  if (!page.continue_token.empty())
    out += ",\"continue\":\"" + page.continue_token
           + "\",\"remainingItemCount\":" + std::to_string(page.remaining);
  out += "},\"items\":[";
  bool first = true;
  for (auto& item : page.items) {
    if (!first)
      out += ',';
    out += json::serialize(*item);
    first = false;
  }
  out += "]}";
  return out;
}

} // namespace

void api_server::send_object(httplib::Response& res, int code,
                             const object_ptr& obj) {
  if (auto text = store_.recent_text(obj))
    return send_text(res, code, text->get(), "application/json");
  send_json(res, code, *obj);
}

table_request table_options(const httplib::Request& req,
                            const std::string& version) {
  table_request t;
  t.api_version = version;
  if (req.has_param("includeObject"))
    t.include_object = req.get_param_value("includeObject");
  return t;
}

void api_server::handle_resource(const httplib::Request& req,
                                 httplib::Response& res,
                                 const std::string& group,
                                 const std::string& version,
                                 const std::vector<std::string>& path_rest) {
  auto not_found = [] {
    return api_error(404, "NotFound",
                     "the server could not find the requested resource");
  };
  std::vector<std::string> rest = path_rest;
  std::string ns;
  std::optional<resource_type> type; // looked up once: a copy under the lock
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    type = store_.find(group, version, rest[2]);
    if (type && type->namespaced) {
      ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    } else {
      type.reset();
    }
  }
  if (rest.size() > 3)
    throw not_found();
  if (!type)
    type = store_.find(group, version, rest[0]);
  if (!type || (!type->namespaced && !ns.empty()))
    throw not_found();
  std::string name = rest.size() > 1 ? rest[1] : "";
  std::string sub = rest.size() > 2 ? rest[2] : "";
  if (!sub.empty() && !(sub == "status" && type->has_status)
      && !(sub == "scale" && type->has_scale))
    throw not_found();

  write_options wopts;
  wopts.dry_run = param(req, "dryRun") == "All";
  wopts.force = truthy(param(req, "force"));
  wopts.field_manager = param(req, "fieldManager");
  bool apply_patch =
      req.method == "PATCH"
      && patch_kind(req.get_header_value("Content-Type")) == "apply-patch";
  if (wopts.field_manager.empty() && !apply_patch) {
    auto ua = req.get_header_value("User-Agent");
    wopts.field_manager = ua.substr(0, ua.find('/'));
    if (wopts.field_manager.empty())
      wopts.field_manager = "unknown";
  }

  const auto& m = req.method;
  if (name.empty()) {
    if (m == "GET") {
      if (truthy(param(req, "watch")))
        return start_watch(req, res, *type, ns);
      auto labels = selector::labels(param(req, "labelSelector"));
      auto fields = selector::fields(param(req, "fieldSelector"));
      std::size_t limit = 0;
      if (auto l = param(req, "limit"); !l.empty()) {
        if (l.find_first_not_of("0123456789") != std::string::npos)
          throw bad_request("invalid limit: " + l);
        limit = std::stoul(l);
      }
      auto page =
          store_.list(*type, ns, labels, fields, limit, param(req, "continue"));
      if (auto tv = table_version(req.get_header_value("Accept"));
          !tv.empty()) {
        auto table = make_table(*type, page.items, table_options(req, tv));
        auto& md = table["metadata"].as_object();
        md["resourceVersion"] = std::to_string(page.rv);
        if (!page.continue_token.empty()) {
          md["continue"] = page.continue_token;
          md["remainingItemCount"] = page.remaining;
        }
        return send_json(res, 200, table);
      }
      return send_text(res, 200, render_list(*type, page), "application/json");
    }
    if (m == "POST") {
      auto body = parse_object(req, "create");
      auto r = store_.create(*type, ns, std::move(body), wopts);
      return send_object(res, r.code, r.object);
    }
    if (m == "DELETE") {
      auto labels = selector::labels(param(req, "labelSelector"));
      auto gone =
          store_.remove_collection(*type, ns, labels, parse_delete(req));
      list_page page;
      page.items = std::move(gone);
      page.rv = store_.resource_version();
      return send_text(res, 200, render_list(*type, page), "application/json");
    }
    throw api_error(405, "MethodNotAllowed",
                    "the server does not allow this method on the requested "
                    "resource");
  }

  if (sub == "scale") {
    if (m == "GET")
      return send_json(res, 200, scale_of(*store_.get(*type, ns, name)));
    if (m != "PUT" && m != "PATCH")
      throw api_error(405, "MethodNotAllowed", "scale: method not allowed");
    json::value scale = scale_of(*store_.get(*type, ns, name));
    if (m == "PUT") {
      scale = parse_object(req, "Scale");
    } else {
      auto kind = patch_kind(req.get_header_value("Content-Type"));
      auto patch = parse_body(req.body, "Scale patch");
      if (kind == "json-patch")
        scale = json_patch(std::move(scale), patch);
      else if (kind == "merge-patch" || kind == "strategic-merge-patch")
        scale = merge_patch(std::move(scale), patch);
      else
        throw api_error(415, "UnsupportedMediaType",
                        "unsupported patch type for scale: " + kind);
    }
    auto* spec = scale.is_object() ? child(scale.as_object(), "spec") : nullptr;
    auto* replicas = spec ? spec->if_contains("replicas") : nullptr;
    if (!replicas || !replicas->is_int64() || replicas->as_int64() < 0)
      throw invalid("Scale.autoscaling", name, "spec.replicas",
                    "Invalid value: must be a non-negative integer");
    json::object change{{"spec", {{"replicas", replicas->as_int64()}}}};
    auto r = store_.patch(*type, ns, name, "merge-patch", change, "", wopts);
    return send_json(res, 200, scale_of(*r.object));
  }

  if (m == "GET") {
    auto obj = store_.get(*type, ns, name);
    if (auto tv = table_version(req.get_header_value("Accept"));
        !tv.empty() && sub.empty())
      return send_json(res, 200,
                       make_table(*type, {obj}, table_options(req, tv)));
    return send_json(res, 200, *obj);
  }
  if (m == "PUT") {
    auto body = parse_object(req, "update");
    auto r = store_.update(*type, ns, name, std::move(body), sub, wopts);
    return send_object(res, r.code, r.object);
  }
  if (m == "PATCH") {
    auto kind = patch_kind(req.get_header_value("Content-Type"));
    if (kind.find("protobuf") != std::string::npos
        || (kind != "json-patch" && kind != "merge-patch"
            && kind != "strategic-merge-patch" && kind != "apply-patch"))
      throw api_error(415, "UnsupportedMediaType",
                      "the body of the request was in an unknown format - "
                      "accepted media types include: "
                      "application/json-patch+json, "
                      "application/merge-patch+json, "
                      "application/apply-patch+yaml");
    auto body = parse_body(req.body, "patch");
    auto r = store_.patch(*type, ns, name, kind, std::move(body), sub, wopts);
    return send_object(res, r.code, r.object);
  }
  if (m == "DELETE") {
    bool gone = false;
    auto r = store_.remove(*type, ns, name, parse_delete(req), gone);
    if (gone && !type->delete_returns_object)
      return send_json(res, 200,
                       json::object{{"kind", "Status"},
                                    {"apiVersion", "v1"},
                                    {"metadata", json::object{}},
                                    {"status", "Success"},
                                    {"details",
                                     {{"name", name},
                                      {"group", type->group},
                                      {"kind", type->plural},
                                      {"uid", meta_str(*r.object, "uid")}}}});
    return send_json(res, 200, *r.object);
  }
  throw api_error(405, "MethodNotAllowed",
                  "the server does not allow this method on the requested "
                  "resource");
}

} // namespace kube_emulator
