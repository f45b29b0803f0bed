#include "tests/kube_emulator/resources.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>

namespace kube_emulator {

namespace {

resource_type builtin(std::string group, std::string version, std::string kind,
                      std::string plural, bool namespaced,
                      std::vector<std::string> short_names,
                      std::vector<std::string> categories, bool status,
                      bool scale, bool generation) {
  resource_type r;
  r.group = std::move(group);
  r.version = std::move(version);
  r.kind = std::move(kind);
  r.singular = r.kind;
  std::transform(r.singular.begin(), r.singular.end(), r.singular.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  r.plural = std::move(plural);
  r.namespaced = namespaced;
  r.short_names = std::move(short_names);
  r.categories = std::move(categories);
  r.has_status = status;
  r.has_scale = scale;
  r.has_generation = generation;
  return r;
}

json::array verbs() {
  return {"create", "delete", "deletecollection", "get",
          "list",   "patch",  "update",           "watch"};
}

json::array strings(const std::vector<std::string>& xs) {
  json::array out;
  for (auto& x : xs)
    out.emplace_back(x);
  return out;
}

std::string short_hash(const std::string& text) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016zx", std::hash<std::string>{}(text));
  return buf;
}

json::object gv_entry(const std::string& group, const std::string& version) {
  return {{"groupVersion", group + "/" + version}, {"version", version}};
}

/// Sort key that puts the core group first, then built-in groups, then CRDs.
int group_rank(const std::string& group) {
  static const std::vector<std::string> order = {"",
                                                 "apps",
                                                 "batch",
                                                 "networking.k8s.io",
                                                 "rbac.authorization.k8s.io",
                                                 "apiextensions.k8s.io",
                                                 "coordination.k8s.io"};
  auto it = std::find(order.begin(), order.end(), group);
  return it == order.end() ? 100 : static_cast<int>(it - order.begin());
}

} // namespace

resource_registry::resource_registry() {
  auto& b = builtin_;
  const std::vector<std::string> all = {"all"};
  b.push_back(builtin("", "v1", "Namespace", "namespaces", false, {"ns"}, {},
                      true, false, false));
  b.push_back(builtin("", "v1", "ConfigMap", "configmaps", true, {"cm"}, {},
                      false, false, false));
  b.push_back(builtin("", "v1", "Secret", "secrets", true, {}, {}, false, false,
                      false));
  b.push_back(builtin("", "v1", "Service", "services", true, {"svc"}, all, true,
                      false, false));
  b.push_back(builtin("", "v1", "ServiceAccount", "serviceaccounts", true,
                      {"sa"}, {}, false, false, false));
  b.back().delete_returns_object = true;
  b.push_back(
      builtin("", "v1", "Pod", "pods", true, {"po"}, all, true, false, false));
  b.back().delete_returns_object = true;
  b.push_back(builtin("", "v1", "Event", "events", true, {"ev"}, {}, false,
                      false, false));
  b.push_back(builtin("apps", "v1", "Deployment", "deployments", true,
                      {"deploy"}, all, true, true, true));
  b.push_back(builtin("apps", "v1", "DaemonSet", "daemonsets", true, {"ds"},
                      all, true, false, true));
  b.push_back(builtin("apps", "v1", "StatefulSet", "statefulsets", true,
                      {"sts"}, all, true, true, true));
  b.push_back(builtin("apps", "v1", "ReplicaSet", "replicasets", true, {"rs"},
                      all, true, true, true));
  b.push_back(builtin("batch", "v1", "CronJob", "cronjobs", true, {"cj"}, all,
                      true, false, true));
  b.push_back(
      builtin("batch", "v1", "Job", "jobs", true, {}, all, true, false, true));
  b.push_back(builtin("networking.k8s.io", "v1", "Ingress", "ingresses", true,
                      {"ing"}, {}, true, false, true));
  const std::string rbac = "rbac.authorization.k8s.io";
  b.push_back(
      builtin(rbac, "v1", "Role", "roles", true, {}, {}, false, false, false));
  b.push_back(builtin(rbac, "v1", "RoleBinding", "rolebindings", true, {}, {},
                      false, false, false));
  b.push_back(builtin(rbac, "v1", "ClusterRole", "clusterroles", false, {}, {},
                      false, false, false));
  b.push_back(builtin(rbac, "v1", "ClusterRoleBinding", "clusterrolebindings",
                      false, {}, {}, false, false, false));
  b.push_back(builtin("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                      "customresourcedefinitions", false, {"crd", "crds"}, {},
                      true, false, true));
  b.push_back(builtin("coordination.k8s.io", "v1", "Lease", "leases", true, {},
                      {}, false, false, false));
  reindex();
}

void resource_registry::reindex() {
  all_.clear();
  for (auto& r : builtin_)
    all_.push_back(&r);
  for (auto& [name, rs] : custom_)
    for (auto& r : rs)
      all_.push_back(&r);
}

const resource_type* resource_registry::find(const std::string& group,
                                             const std::string& version,
                                             const std::string& plural) const {
  for (auto* r : all_)
    if (r->plural == plural && r->group == group && r->version == version)
      return r;
  return nullptr;
}

const resource_type*
resource_registry::find_kind(const std::string& api_version,
                             const std::string& kind) const {
  for (auto* r : all_)
    if (r->kind == kind && r->group_version() == api_version)
      return r;
  return nullptr;
}

std::vector<const resource_type*>
resource_registry::versions_of(const std::string& group,
                               const std::string& plural) const {
  std::vector<const resource_type*> out;
  for (auto* r : all_)
    if (r->group == group && r->plural == plural)
      out.push_back(r);
  return out;
}

void resource_registry::set_custom(const std::string& crd_name,
                                   std::vector<resource_type> resources) {
  if (resources.empty())
    custom_.erase(crd_name);
  else
    custom_[crd_name] = std::move(resources);
  reindex();
}

std::vector<resource_type>
resource_registry::from_crd(const json::object& crd) {
  std::string name;
  if (auto* md = crd.if_contains("metadata"); md && md->is_object())
    if (auto* n = md->as_object().if_contains("name"); n && n->is_string())
      name = std::string(n->as_string());
  auto fail = [&](const std::string& field, const std::string& msg) {
    return invalid("CustomResourceDefinition", name, field, msg);
  };
  auto* spec_v = crd.if_contains("spec");
  if (!spec_v || !spec_v->is_object())
    throw fail("spec", "Required value");
  auto& spec = spec_v->as_object();
  auto str = [&](const json::object& o, const char* key) -> std::string {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string{};
  };
  std::string group = str(spec, "group");
  if (group.empty() || group.find('.') == std::string::npos)
    throw fail("spec.group", "Invalid value: \"" + group
                                 + "\": should be a domain with at "
                                   "least one dot");
  auto* names_v = spec.if_contains("names");
  if (!names_v || !names_v->is_object())
    throw fail("spec.names", "Required value");
  auto& names = names_v->as_object();
  resource_type base;
  base.group = group;
  base.kind = str(names, "kind");
  base.plural = str(names, "plural");
  base.singular = str(names, "singular");
  if (base.kind.empty())
    throw fail("spec.names.kind", "Required value");
  if (base.plural.empty())
    throw fail("spec.names.plural", "Required value");
  if (base.singular.empty()) {
    base.singular = base.kind;
    std::transform(base.singular.begin(), base.singular.end(),
                   base.singular.begin(),
                   [](unsigned char c) { return std::tolower(c); });
  }
  if (name != base.plural + "." + group)
    throw fail("metadata.name",
               "Invalid value: \"" + name
                   + "\": must be spec.names.plural+\".\"+spec."
                     "group");
  for (const char* key : {"shortNames", "categories"})
    if (auto* v = names.if_contains(key); v && v->is_array())
      for (auto& x : v->as_array())
        if (x.is_string())
          (key[0] == 's' ? base.short_names : base.categories)
              .emplace_back(x.as_string());
  std::string scope = str(spec, "scope");
  if (scope != "Namespaced" && scope != "Cluster")
    throw fail("spec.scope", "Unsupported value: \"" + scope
                                 + "\": supported values: \"Cluster\", "
                                   "\"Namespaced\"");
  base.namespaced = scope == "Namespaced";
  base.crd_name = name;
  auto* versions_v = spec.if_contains("versions");
  if (!versions_v || !versions_v->is_array() || versions_v->as_array().empty())
    throw fail("spec.versions", "Required value");
  std::vector<resource_type> out;
  int storage = 0;
  for (auto& v : versions_v->as_array()) {
    if (!v.is_object())
      throw fail("spec.versions", "Invalid value: must be objects");
    auto& vo = v.as_object();
    auto* st = vo.if_contains("storage");
    if (st && st->is_bool() && st->as_bool())
      ++storage;
    auto* served = vo.if_contains("served");
    if (!served || !served->is_bool() || !served->as_bool())
      continue;
    resource_type r = base;
    r.version = str(vo, "name");
    if (r.version.empty())
      throw fail("spec.versions[].name", "Required value");
    if (auto* sub = vo.if_contains("subresources"); sub && sub->is_object()) {
      r.has_status = sub->as_object().contains("status");
      r.has_scale = sub->as_object().contains("scale");
    }
    if (auto* cols = vo.if_contains("additionalPrinterColumns");
        cols && cols->is_array())
      for (auto& col : cols->as_array()) {
        if (!col.is_object())
          continue;
        auto& co = col.as_object();
        printer_column pc{str(co, "name"), str(co, "type"), str(co, "jsonPath"),
                          0};
        if (auto* p = co.if_contains("priority"); p && p->is_int64())
          pc.priority = static_cast<int>(p->as_int64());
        if (!pc.name.empty() && !pc.json_path.empty())
          r.columns.push_back(std::move(pc));
      }
    out.push_back(std::move(r));
  }
  if (storage != 1)
    throw fail("spec.versions", "Invalid value: must have exactly one version "
                                "marked as storage version");
  return out;
}

std::vector<std::pair<std::string, std::vector<std::string>>>
resource_registry::group_versions() const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (auto* r : all_) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](auto& g) { return g.first == r->group; });
    if (it == out.end()) {
      out.push_back({r->group, {}});
      it = out.end() - 1;
    }
    if (std::find(it->second.begin(), it->second.end(), r->version)
        == it->second.end())
      it->second.push_back(r->version);
  }
  std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) {
    int ra = group_rank(a.first), rb = group_rank(b.first);
    return ra != rb ? ra < rb : a.first < b.first;
  });
  return out;
}

std::vector<const resource_type*>
resource_registry::in_group_version(const std::string& group,
                                    const std::string& version) const {
  std::vector<const resource_type*> out;
  for (auto* r : all_)
    if (r->group == group && r->version == version)
      out.push_back(r);
  return out;
}

json::object
resource_registry::api_versions(const std::string& server_address) const {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

json::object resource_registry::api_group_list() const {
  json::array groups;
  for (auto& [group, versions] : group_versions()) {
    if (group.empty())
      continue;
    json::array vs;
    for (auto& v : versions)
      vs.push_back(gv_entry(group, v));
    groups.push_back(json::object{
        {"name", group}, {"versions", vs}, {"preferredVersion", vs.front()}});
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

json::value resource_registry::api_group(const std::string& group) const {
  for (auto& [g, versions] : group_versions()) {
    if (g != group || g.empty())
      continue;
    json::array vs;
    for (auto& v : versions)
      vs.push_back(gv_entry(group, v));
    return json::object{{"kind", "APIGroup"},
                        {"apiVersion", "v1"},
                        {"name", group},
                        {"versions", vs},
                        {"preferredVersion", vs.front()}};
  }
  return nullptr;
}

json::value resource_registry::resource_list(const std::string& group,
                                             const std::string& version) const {
  auto rs = in_group_version(group, version);
  if (rs.empty())
    return nullptr;
  json::array resources;
  for (auto* r : rs) {
    json::object e{
        {"name", r->plural},
        {"singularName", r->singular},
        {"namespaced", r->namespaced},
        {"kind", r->kind},
        {"verbs", verbs()},
        {"storageVersionHash", short_hash(r->group_version() + r->kind)}};
    if (!r->short_names.empty())
      e["shortNames"] = strings(r->short_names);
    if (!r->categories.empty())
      e["categories"] = strings(r->categories);
    resources.push_back(std::move(e));
    json::array sub_verbs{"get", "patch", "update"};
    if (r->has_status)
      resources.push_back(json::object{{"name", r->plural + "/status"},
                                       {"singularName", ""},
                                       {"namespaced", r->namespaced},
                                       {"kind", r->kind},
                                       {"verbs", sub_verbs}});
    if (r->has_scale)
      resources.push_back(json::object{{"name", r->plural + "/scale"},
                                       {"singularName", ""},
                                       {"namespaced", r->namespaced},
                                       {"group", "autoscaling"},
                                       {"version", "v1"},
                                       {"kind", "Scale"},
                                       {"verbs", sub_verbs}});
  }
  return json::object{{"kind", "APIResourceList"},
                      {"apiVersion", "v1"},
                      {"groupVersion", rs.front()->group_version()},
                      {"resources", resources}};
}

json::object
resource_registry::aggregated(bool core, const std::string& api_version) const {
  json::array items;
  for (auto& [group, versions] : group_versions()) {
    if (group.empty() != core)
      continue;
    json::array vs;
    for (auto& version : versions) {
      json::array resources;
      for (auto* r : in_group_version(group, version)) {
        json::object kind{
            {"group", r->group}, {"version", r->version}, {"kind", r->kind}};
        json::object e{{"resource", r->plural},
                       {"responseKind", kind},
                       {"scope", r->namespaced ? "Namespaced" : "Cluster"},
                       {"singularResource", r->singular},
                       {"verbs", verbs()}};
        if (!r->short_names.empty())
          e["shortNames"] = strings(r->short_names);
        if (!r->categories.empty())
          e["categories"] = strings(r->categories);
        json::array subs;
        json::array sub_verbs{"get", "patch", "update"};
        if (r->has_status)
          subs.push_back(json::object{{"subresource", "status"},
                                      {"responseKind", kind},
                                      {"verbs", sub_verbs}});
        if (r->has_scale)
          subs.push_back(json::object{{"subresource", "scale"},
                                      {"responseKind",
                                       {{"group", "autoscaling"},
                                        {"version", "v1"},
                                        {"kind", "Scale"}}},
                                      {"verbs", sub_verbs}});
        if (!subs.empty())
          e["subresources"] = std::move(subs);
        resources.push_back(std::move(e));
      }
      vs.push_back(json::object{{"version", version},
                                {"resources", resources},
                                {"freshness", "Current"}});
    }
    items.push_back(
        json::object{{"metadata", {{"name", group}}}, {"versions", vs}});
  }
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", api_version},
          {"metadata", json::object{}},
          {"items", items}};
}

json::object resource_registry::openapi_root() const {
  json::object paths;
  for (auto& [group, versions] : group_versions())
    for (auto& version : versions) {
      std::string key =
          group.empty() ? "api/" + version : "apis/" + group + "/" + version;
      auto doc = openapi_group_version(key);
      paths[key] = json::object{
          {"serverRelativeURL",
           "/openapi/v3/" + key + "?hash=" + short_hash(json::serialize(doc))}};
    }
  return {{"paths", paths}};
}

json::value
resource_registry::openapi_group_version(const std::string& gv_path) const {
  std::string group, version;
  if (gv_path.rfind("api/", 0) == 0) {
    version = gv_path.substr(4);
  } else if (gv_path.rfind("apis/", 0) == 0) {
    auto rest = gv_path.substr(5);
    auto slash = rest.find('/');
    if (slash == std::string::npos)
      return nullptr;
    group = rest.substr(0, slash);
    version = rest.substr(slash + 1);
  } else {
    return nullptr;
  }
  auto rs = in_group_version(group, version);
  if (rs.empty())
    return nullptr;
  auto query = [](const char* name) {
    return json::object{
        {"name", name},
        {"in", "query"},
        {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
  };
  json::array write_params{query("dryRun"), query("fieldManager"),
                           query("fieldValidation")};
  json::array patch_params = write_params;
  patch_params.push_back(query("force"));
  json::object paths;
  for (auto* r : rs) {
    json::object gvk{
        {"group", r->group}, {"version", r->version}, {"kind", r->kind}};
    auto op = [&](const char* action, const json::array& params) {
      return json::object{{"parameters", params},
                          {"responses", {{"200", {{"description", "OK"}}}}},
                          {"x-kubernetes-action", action},
                          {"x-kubernetes-group-version-kind", gvk}};
    };
    std::string prefix = "/" + gv_path + "/";
    if (r->namespaced)
      prefix += "namespaces/{namespace}/";
    paths[prefix + r->plural] = json::object{
        {"get", op("list", {})}, {"post", op("post", write_params)}};
    paths[prefix + r->plural + "/{name}"] =
        json::object{{"get", op("get", {})},
                     {"put", op("put", write_params)},
                     {"patch", op("patch", patch_params)},
                     {"delete", op("delete", {query("dryRun")})}};
  }
  return json::object{
      {"openapi", "3.0.0"},
      {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
      {"paths", paths},
      {"components", {{"schemas", json::object{}}}}};
}

} // namespace kube_emulator
