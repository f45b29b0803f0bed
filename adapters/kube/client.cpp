#include "adapters/kube/client.hpp"
#include "adapters/kube/json.hpp"

#include <atomic>
#include <thread>

#include <boost/json.hpp>

namespace fluxd::kube {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string())
    return std::string(v->get_string());
  return {};
}

void add_param(std::string& path, std::string_view key,
               std::string_view value) {
  path += path.find('?') == std::string::npos ? '?' : '&';
  path += key;
  path += '=';
  path += url_encode(value);
}

std::string list_query(const list_options& o) {
  std::string q;
  if (!o.label_selector.empty())
    add_param(q, "labelSelector", o.label_selector);
  if (!o.field_selector.empty())
    add_param(q, "fieldSelector", o.field_selector);
  if (o.limit > 0)
    add_param(q, "limit", std::to_string(o.limit));
  if (!o.continue_token.empty())
    add_param(q, "continue", o.continue_token);
  if (!o.resource_version.empty())
    add_param(q, "resourceVersion", o.resource_version);
  if (!o.resource_version_match.empty())
    add_param(q, "resourceVersionMatch", o.resource_version_match);
  return q;
}

} // namespace

// -- object_ref -----------------------------------------------------------

object_ref object_ref::of(const json::value& object) {
  auto* o = object.if_object();
  if (!o)
    throw kube_error("object is not a JSON object");
  object_ref ref;
  ref.api_version = str(*o, "apiVersion");
  ref.kind = str(*o, "kind");
  if (auto* m = o->if_contains("metadata"); m && m->is_object()) {
    ref.name = str(m->get_object(), "name");
    ref.namespace_name = str(m->get_object(), "namespace");
  }
  if (ref.api_version.empty() || ref.kind.empty() || ref.name.empty())
    throw kube_error("object " + ref.id()
                     + " lacks apiVersion, kind or metadata.name");
  return ref;
}

std::string object_ref::id() const {
  return (namespace_name.empty() ? "<cluster>" : namespace_name) + ":"
         + kind + "/" + name;
}

// -- client -----------------------------------------------------------------

client::client(rest_config cfg, client_options opts)
  : transport_(std::move(cfg), std::move(opts)), discovery_(transport_) {
}

std::string client::request_text(const http_request& req) {
  auto res = transport_.send(req);
  if (res.status < 200 || res.status >= 300) {
    auto st = decode_status(res.status, res.content_type, res.body);
    // A 404 that names no object means the resource type itself is gone
    // (a deleted CRD): discovery is stale.
    if (st.code == 404 && st.details_name.empty())
      discovery_.invalidate();
    throw api_error(req.method, req.path, std::move(st));
  }
  return std::move(res.body);
}

json::value client::request(const http_request& req) {
  auto body = request_text(req);
  if (body.empty())
    return nullptr;
  json::error_code ec;
  auto v = parse_json(body, ec);
  if (ec)
    throw kube_error(req.method + " " + req.path
                     + ": response is not JSON: " + ec.message());
  return v;
}

std::string client::namespace_for(const resource_info& res,
                                  std::string_view ns) {
  if (!res.namespaced)
    return {};
  return ns.empty() ? config().default_namespace() : std::string(ns);
}

std::string client::object_path(const object_ref& ref) {
  auto res = discovery_.resolve(ref.api_version, ref.kind);
  return res.object_path(namespace_for(res, ref.namespace_name), ref.name);
}

json::value client::get(const object_ref& ref,
                        std::chrono::milliseconds timeout) {
  http_request req{"GET", object_path(ref)};
  req.timeout = timeout;
  return request(req);
}

list_page client::list(const resource_info& res, std::string_view ns,
                       const list_options& opts) {
  http_request req{"GET", res.collection_path(res.namespaced ? ns : "")
                            + list_query(opts)};
  req.timeout = opts.timeout;
  auto doc = request(req);
  list_page page;
  auto* o = doc.if_object();
  if (!o)
    throw kube_error("GET " + req.path + ": list is not a JSON object");
  if (auto* m = o->if_contains("metadata"); m && m->is_object()) {
    auto& mo = m->get_object();
    page.resource_version = str(mo, "resourceVersion");
    page.continue_token = str(mo, "continue");
    if (auto* r = mo.if_contains("remainingItemCount"); r && r->is_int64())
      page.remaining_item_count = r->get_int64();
  }
  // Items of built-in lists often lack kind/apiVersion.
  auto list_kind = str(*o, "kind");
  auto kind = list_kind.size() > 4
                  && list_kind.compare(list_kind.size() - 4, 4, "List") == 0
                ? list_kind.substr(0, list_kind.size() - 4)
                : res.kind;
  auto api_version = str(*o, "apiVersion");
  if (api_version.empty())
    api_version = res.api_version();
  if (auto* items = o->if_contains("items"); items && items->is_array()) {
    page.items = std::move(items->get_array());
    for (auto& item : page.items) {
      if (auto* io = item.if_object()) {
        if (!io->contains("kind"))
          (*io)["kind"] = kind;
        if (!io->contains("apiVersion"))
          (*io)["apiVersion"] = api_version;
      }
    }
  }
  return page;
}

list_page client::list(std::string_view api_version, std::string_view kind,
                       std::string_view ns, const list_options& opts) {
  return list(discovery_.resolve(api_version, kind), ns, opts);
}

list_page client::list_all(const resource_info& res, std::string_view ns,
                           const list_options& opts) {
  auto page_opts = opts;
  list_page all;
  bool first = true;
  bool restarted = false;
  for (;;) {
    list_page page;
    try {
      page = list(res, ns, page_opts);
    } catch (const api_error& e) {
      if (!e.gone() || first || restarted)
        throw;
      // The continue token expired: start again in one request.
      restarted = true;
      first = true;
      all = {};
      page_opts = opts;
      page_opts.limit = 0;
      page_opts.continue_token.clear();
      continue;
    }
    if (first)
      all.resource_version = page.resource_version;
    first = false;
    for (auto& item : page.items)
      all.items.push_back(std::move(item));
    if (page.continue_token.empty())
      return all;
    page_opts.continue_token = page.continue_token;
    // A continuation must not carry a resourceVersion.
    page_opts.resource_version.clear();
    page_opts.resource_version_match.clear();
  }
}

namespace {

std::string apply_path(std::string path, const apply_options& opts) {
  add_param(path, "fieldManager", opts.field_manager);
  add_param(path, "force", opts.force ? "true" : "false");
  if (opts.dry_run)
    add_param(path, "dryRun", "All");
  if (!opts.field_validation.empty())
    add_param(path, "fieldValidation", opts.field_validation);
  return path;
}

} // namespace

std::string client::apply_text(const object_ref& ref, std::string object,
                               const apply_options& opts) {
  http_request req{"PATCH", apply_path(object_path(ref), opts),
                   std::move(object), "application/apply-patch+yaml"};
  req.timeout = opts.timeout;
  return request_text(req);
}

json::value client::apply(const json::value& object,
                          const apply_options& opts) {
  http_request req{"PATCH",
                   apply_path(object_path(object_ref::of(object)), opts),
                   json::serialize(object), "application/apply-patch+yaml"};
  req.timeout = opts.timeout;
  return request(req);
}

json::value client::patch(const object_ref& ref, std::string_view type,
                          const json::value& body,
                          std::string_view field_manager) {
  auto path = object_path(ref);
  if (!field_manager.empty())
    add_param(path, "fieldManager", field_manager);
  return request(http_request{"PATCH", path, json::serialize(body),
                              std::string(type)});
}

json::value client::remove(const object_ref& ref, const delete_options& opts) {
  auto path = object_path(ref);
  json::object body{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!opts.propagation_policy.empty())
    body["propagationPolicy"] = opts.propagation_policy;
  if (opts.dry_run)
    body["dryRun"] = json::array{"All"};
  if (opts.grace_period_seconds)
    body["gracePeriodSeconds"] = *opts.grace_period_seconds;
  if (!opts.precondition_uid.empty()
      || !opts.precondition_resource_version.empty()) {
    json::object pre;
    if (!opts.precondition_uid.empty())
      pre["uid"] = opts.precondition_uid;
    if (!opts.precondition_resource_version.empty())
      pre["resourceVersion"] = opts.precondition_resource_version;
    body["preconditions"] = std::move(pre);
  }
  http_request req{"DELETE", path, json::serialize(body), "application/json"};
  req.timeout = opts.timeout;
  return request(req);
}

std::vector<apply_result> apply_all(client& c,
                                    const std::vector<json::value>& objs,
                                    const apply_options& opts, int threads) {
  std::vector<apply_result> results(objs.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (auto i = next++; i < objs.size(); i = next++) {
      try {
        results[i].object = c.apply(objs[i], opts);
      } catch (const std::exception& e) {
        results[i].error = std::current_exception();
        results[i].message = e.what();
      }
    }
  };
  auto n = std::max(1, std::min<int>(threads, static_cast<int>(objs.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t)
    pool.emplace_back(work);
  work();
  for (auto& t : pool)
    t.join();
  return results;
}

} // namespace fluxd::kube
