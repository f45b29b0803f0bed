#include "adapters/kube/discovery.hpp"
#include "adapters/kube/errors.hpp"
#include "adapters/kube/json.hpp"

#include <algorithm>

#include <boost/json.hpp>

namespace fluxd::kube {

namespace json = boost::json;

const char* const aggregated_accept =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;"
  "as=APIGroupDiscoveryList,application/json";

namespace {

std::string str(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string())
    return std::string(v->get_string());
  return {};
}

const json::array& arr(const json::object& o, std::string_view key) {
  static const json::array empty;
  if (auto* v = o.if_contains(key); v && v->is_array())
    return v->get_array();
  return empty;
}

std::vector<std::string> strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  for (auto& v : arr(o, key))
    if (v.is_string())
      out.emplace_back(v.get_string());
  return out;
}

std::string key_of(std::string_view group, std::string_view version,
                   std::string_view kind) {
  std::string k(group);
  k += '/';
  k += version;
  k += '/';
  k += kind;
  return k;
}

json::value parse_body(const http_response& res, const std::string& path) {
  json::error_code ec;
  auto v = parse_json(res.body, ec);
  if (ec)
  {
    api_status st;
    st.code = res.status;
    st.status = "Failure";
    st.reason = "InternalError";
    st.message = "discovery document is not JSON: " + ec.message();
    throw api_error("GET", path, std::move(st));
  }
  return v;
}

} // namespace

std::string resource_info::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

bool resource_info::has_verb(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

std::string resource_info::collection_path(std::string_view ns) const {
  std::string p = group.empty() ? "/api/" + version
                                : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) {
    p += "/namespaces/";
    p += ns;
  }
  return p + "/" + plural;
}

std::string resource_info::object_path(std::string_view ns,
                                       std::string_view name) const {
  auto p = collection_path(ns);
  p += '/';
  p += name;
  return p;
}

std::pair<std::string, std::string> split_api_version(std::string_view av) {
  auto slash = av.find('/');
  if (slash == std::string_view::npos)
    return {"", std::string(av)};
  return {std::string(av.substr(0, slash)), std::string(av.substr(slash + 1))};
}

std::vector<group_version> parse_group_list(const json::value& doc) {
  std::vector<group_version> out;
  auto* o = doc.if_object();
  if (!o)
    return out;
  if (str(*o, "kind") == "APIVersions") {
    bool first = true;
    for (auto& v : strings(*o, "versions")) {
      out.push_back({"", v, first});
      first = false;
    }
    return out;
  }
  for (auto& g : arr(*o, "groups")) {
    if (!g.is_object())
      continue;
    auto& go = g.get_object();
    auto name = str(go, "name");
    std::string preferred;
    if (auto* p = go.if_contains("preferredVersion"); p && p->is_object())
      preferred = str(p->get_object(), "version");
    for (auto& v : arr(go, "versions")) {
      if (!v.is_object())
        continue;
      auto version = str(v.get_object(), "version");
      out.push_back({name, version, version == preferred});
    }
  }
  return out;
}

std::vector<resource_info> parse_resource_list(const json::value& doc,
                                               const group_version& gv) {
  std::vector<resource_info> out;
  auto* o = doc.if_object();
  if (!o)
    return out;
  for (auto& r : arr(*o, "resources")) {
    if (!r.is_object())
      continue;
    auto& ro = r.get_object();
    resource_info info;
    info.plural = str(ro, "name");
    if (info.plural.empty() || info.plural.find('/') != std::string::npos)
      continue; // subresource
    info.group = gv.group;
    info.version = gv.version;
    info.preferred = gv.preferred;
    info.kind = str(ro, "kind");
    info.singular = str(ro, "singularName");
    if (auto* n = ro.if_contains("namespaced"); n && n->is_bool())
      info.namespaced = n->get_bool();
    info.verbs = strings(ro, "verbs");
    info.short_names = strings(ro, "shortNames");
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<resource_info> parse_aggregated(const json::value& doc) {
  std::vector<resource_info> out;
  auto* o = doc.if_object();
  if (!o)
    return out;
  for (auto& item : arr(*o, "items")) {
    if (!item.is_object())
      continue;
    auto& io = item.get_object();
    std::string group;
    if (auto* m = io.if_contains("metadata"); m && m->is_object())
      group = str(m->get_object(), "name");
    bool first = true; // versions come preferred first
    for (auto& v : arr(io, "versions")) {
      if (!v.is_object())
        continue;
      auto& vo = v.get_object();
      auto version = str(vo, "version");
      for (auto& r : arr(vo, "resources")) {
        if (!r.is_object())
          continue;
        auto& ro = r.get_object();
        resource_info info;
        info.group = group;
        info.version = version;
        info.preferred = first;
        info.plural = str(ro, "resource");
        if (auto* k = ro.if_contains("responseKind"); k && k->is_object())
          info.kind = str(k->get_object(), "kind");
        info.singular = str(ro, "singularResource");
        info.namespaced = str(ro, "scope") == "Namespaced";
        info.verbs = strings(ro, "verbs");
        info.short_names = strings(ro, "shortNames");
        if (!info.plural.empty() && !info.kind.empty())
          out.push_back(std::move(info));
      }
      first = false;
    }
  }
  return out;
}

// -- discovery -------------------------------------------------------------

discovery::discovery(transport& t, std::chrono::milliseconds min_interval)
  : transport_(t), min_interval_(min_interval) {
}

std::vector<resource_info> discovery::fetch(bool& aggregated,
                                            std::vector<std::string>& failed) {
  std::vector<resource_info> all;
  std::vector<group_version> legacy;
  aggregated = true;
  for (const char* root : {"/api", "/apis"}) {
    http_request req{"GET", root};
    req.accept = aggregated_accept;
    auto res = transport_.send(req);
    if (res.status != 200)
      throw api_error("GET", root,
                      decode_status(res.status, res.content_type, res.body));
    auto doc = parse_body(res, root);
    if (res.content_type.find("as=APIGroupDiscoveryList")
        != std::string::npos) {
      auto part = parse_aggregated(doc);
      all.insert(all.end(), part.begin(), part.end());
    } else {
      aggregated = false;
      auto gvs = parse_group_list(doc);
      legacy.insert(legacy.end(), gvs.begin(), gvs.end());
    }
  }
  for (const auto& gv : legacy) {
    auto path = gv.group.empty() ? "/api/" + gv.version
                                 : "/apis/" + gv.group + "/" + gv.version;
    auto res = transport_.send(http_request{"GET", path});
    if (res.status != 200) {
      // An unavailable aggregated API (metrics) must not hide the rest.
      failed.push_back(gv.group.empty() ? gv.version
                                        : gv.group + "/" + gv.version);
      continue;
    }
    auto part = parse_resource_list(parse_body(res, path), gv);
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

void discovery::refresh_locked() {
  bool aggregated = false;
  std::vector<std::string> failed;
  auto all = fetch(aggregated, failed);
  std::map<std::string, resource_info> by_key;
  for (const auto& r : all)
    by_key.emplace(key_of(r.group, r.version, r.kind), r);
  std::unique_lock<std::shared_mutex> lock(mtx_);
  by_key_ = std::move(by_key);
  all_ = std::move(all);
  aggregated_ = aggregated;
  failed_ = std::move(failed);
  loaded_ = true;
  stale_ = false;
  ++refreshes_;
  last_refresh_ = std::chrono::steady_clock::now();
}

void discovery::refresh() {
  std::lock_guard<std::mutex> one(refresh_mtx_);
  refresh_locked();
}

void discovery::invalidate() {
  std::unique_lock<std::shared_mutex> lock(mtx_);
  stale_ = true;
}

std::optional<resource_info> discovery::find(std::string_view api_version,
                                             std::string_view kind) const {
  auto [group, version] = split_api_version(api_version);
  std::shared_lock<std::shared_mutex> lock(mtx_);
  auto it = by_key_.find(key_of(group, version, kind));
  if (it == by_key_.end())
    return std::nullopt;
  return it->second;
}

resource_info discovery::resolve(std::string_view api_version,
                                 std::string_view kind) {
  int seen_refreshes;
  {
    std::shared_lock<std::shared_mutex> lock(mtx_);
    seen_refreshes = refreshes_;
    if (!stale_) {
      auto [group, version] = split_api_version(api_version);
      auto it = by_key_.find(key_of(group, version, kind));
      if (it != by_key_.end())
        return it->second;
    }
  }
  {
    std::lock_guard<std::mutex> one(refresh_mtx_);
    bool needed;
    {
      std::shared_lock<std::shared_mutex> lock(mtx_);
      // Another thread refreshed while we waited: use its result.
      needed = refreshes_ == seen_refreshes
               && (!loaded_ || stale_
                   || std::chrono::steady_clock::now() - last_refresh_
                        >= min_interval_);
    }
    if (needed)
      refresh_locked();
  }
  if (auto found = find(api_version, kind))
    return *found;
  throw unknown_kind_error(std::string(api_version), std::string(kind));
}

std::vector<resource_info> discovery::resources() {
  {
    std::shared_lock<std::shared_mutex> lock(mtx_);
    if (loaded_ && !stale_)
      return all_;
  }
  refresh();
  std::shared_lock<std::shared_mutex> lock(mtx_);
  return all_;
}

std::vector<resource_info> discovery::preferred_resources() {
  auto all = resources();
  all.erase(std::remove_if(all.begin(), all.end(),
                           [](const resource_info& r) { return !r.preferred; }),
            all.end());
  return all;
}

bool discovery::aggregated() const {
  std::shared_lock<std::shared_mutex> lock(mtx_);
  return aggregated_;
}

int discovery::refreshes() const {
  std::shared_lock<std::shared_mutex> lock(mtx_);
  return refreshes_;
}

std::vector<std::string> discovery::failed_group_versions() const {
  std::shared_lock<std::shared_mutex> lock(mtx_);
  return failed_;
}

} // namespace fluxd::kube
