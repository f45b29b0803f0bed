#include "tests/kube_emulator/table.hpp"

#include <ctime>

#include "tests/kube_emulator/objects.hpp"

namespace kube_emulator {

namespace {

struct column {
  const char* name;
  const char* type;
  int priority;
};

std::int64_t int_at(const json::object* o, std::string_view key) {
  auto* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_int64() ? v->as_int64() : 0;
}

std::string ratio(std::int64_t a, std::int64_t b) {
  return std::to_string(a) + "/" + std::to_string(b);
}

/// The value at a simple JSONPath (".spec.replicas"), printed.
json::value at_path(const json::object& obj, const std::string& path) {
  const json::value* cur = nullptr;
  const json::object* o = &obj;
  size_t start = path.empty() || path[0] != '.' ? 0 : 1;
  while (start <= path.size()) {
    auto dot = path.find('.', start);
    auto key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!o)
      return "";
    cur = o->if_contains(key);
    if (!cur)
      return "";
    if (dot == std::string::npos)
      break;
    o = cur->is_object() ? &cur->as_object() : nullptr;
    start = dot + 1;
  }
  if (!cur)
    return "";
  if (cur->is_object() || cur->is_array())
    return json::value(json::serialize(*cur));
  return *cur;
}

std::vector<column> columns_of(const resource_type& type) {
  const auto& k = type.kind;
  if (k == "Deployment")
    return {{"Ready", "string", 0},
            {"Up-to-date", "integer", 0},
            {"Available", "integer", 0}};
  if (k == "StatefulSet" || k == "ReplicaSet")
    return {{"Ready", "string", 0}};
  if (k == "DaemonSet")
    return {{"Desired", "integer", 0},
            {"Current", "integer", 0},
            {"Ready", "integer", 0},
            {"Up-to-date", "integer", 0},
            {"Available", "integer", 0}};
  if (k == "Pod")
    return {{"Ready", "string", 0},
            {"Status", "string", 0},
            {"Restarts", "string", 0}};
  if (k == "Service")
    return {{"Type", "string", 0},
            {"Cluster-IP", "string", 0},
            {"External-IP", "string", 0},
            {"Port(s)", "string", 0}};
  if (k == "Namespace")
    return {{"Status", "string", 0}};
  if (k == "ConfigMap")
    return {{"Data", "integer", 0}};
  if (k == "Secret")
    return {{"Type", "string", 0}, {"Data", "integer", 0}};
  return {};
}

json::array cells_of(const resource_type& type, const json::object& obj) {
  const auto& k = type.kind;
  auto* spec = child(obj, "spec");
  auto* st = child(obj, "status");
  auto replicas =
      spec && spec->contains("replicas") ? int_at(spec, "replicas") : 1;
  if (k == "Deployment")
    return {ratio(int_at(st, "readyReplicas"), replicas),
            int_at(st, "updatedReplicas"), int_at(st, "availableReplicas")};
  if (k == "StatefulSet" || k == "ReplicaSet")
    return {ratio(int_at(st, "readyReplicas"), replicas)};
  if (k == "DaemonSet")
    return {int_at(st, "desiredNumberScheduled"),
            int_at(st, "currentNumberScheduled"), int_at(st, "numberReady"),
            int_at(st, "updatedNumberScheduled"),
            int_at(st, "numberAvailable")};
  if (k == "Pod") {
    std::int64_t n = 0, ready = 0, restarts = 0;
    if (auto* cs = spec ? spec->if_contains("containers") : nullptr;
        cs && cs->is_array())
      n = static_cast<std::int64_t>(cs->as_array().size());
    std::string phase = st ? str(*st, "phase") : "";
    std::string reason;
    if (auto* cs = st ? st->if_contains("containerStatuses") : nullptr;
        cs && cs->is_array())
      for (auto& c : cs->as_array()) {
        if (!c.is_object())
          continue;
        auto& co = c.as_object();
        auto* r = co.if_contains("ready");
        ready += r && r->is_bool() && r->as_bool();
        restarts += int_at(&co, "restartCount");
        if (auto* state = child(co, "state"))
          if (auto* w = child(*state, "waiting"))
            reason = str(*w, "reason");
      }
    return {ratio(ready, n),
            !reason.empty() ? reason
            : phase.empty() ? "Pending"
                            : phase,
            std::to_string(restarts)};
  }
  if (k == "Service") {
    std::string ports;
    if (auto* ps = spec ? spec->if_contains("ports") : nullptr;
        ps && ps->is_array())
      for (auto& p : ps->as_array())
        if (p.is_object()) {
          ports += (ports.empty() ? "" : ",")
                   + std::to_string(int_at(&p.as_object(), "port")) + "/"
                   + str(p.as_object(), "protocol");
        }
    return {spec ? str(*spec, "type") : "", spec ? str(*spec, "clusterIP") : "",
            "<none>", ports.empty() ? "<none>" : ports};
  }
  if (k == "Namespace")
    return {st ? str(*st, "phase") : ""};
  if (k == "ConfigMap" || k == "Secret") {
    std::int64_t n = 0;
    for (const char* key : {"data", "binaryData", "stringData"})
      if (auto* d = child(obj, key))
        n += static_cast<std::int64_t>(d->size());
    if (k == "ConfigMap")
      return {n};
    return {str(obj, "type").empty() ? "Opaque" : str(obj, "type"), n};
  }
  json::array out;
  for (auto& c : type.columns) {
    auto v = at_path(obj, c.json_path);
    if (c.type == "date")
      v = human_age(v.is_string() ? std::string(v.as_string()) : "");
    out.push_back(std::move(v));
  }
  return out;
}

} // namespace

std::string table_version(const std::string& accept) {
  if (accept.find("as=Table") == std::string::npos)
    return {};
  // kubectl lists v1 first; answer with the first version offered.
  auto v1 = accept.find("as=Table;v=v1;");
  auto v1b = accept.find("v=v1beta1");
  if (v1 == std::string::npos
      && accept.find("v=v1;g=meta.k8s.io") != std::string::npos)
    v1 = accept.find("v=v1;g=meta.k8s.io");
  if (v1 != std::string::npos && (v1b == std::string::npos || v1 < v1b))
    return "meta.k8s.io/v1";
  return "meta.k8s.io/v1beta1";
}

std::string human_age(const std::string& ts) {
  std::tm tm{};
  if (ts.size() < 19 || !strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
    return "<unknown>";
  auto then = timegm(&tm);
  auto s = static_cast<long>(std::time(nullptr) - then);
  if (s < 0)
    s = 0;
  auto m = s / 60, h = s / 3600, d = s / 86400;
  if (s < 120)
    return std::to_string(s) + "s";
  if (m < 10)
    return std::to_string(m) + "m" + std::to_string(s % 60) + "s";
  if (m < 180)
    return std::to_string(m) + "m";
  if (h < 8)
    return std::to_string(h) + "h" + std::to_string(m % 60) + "m";
  if (h < 48)
    return std::to_string(h) + "h";
  if (d < 8)
    return std::to_string(d) + "d" + std::to_string(h % 24) + "h";
  return std::to_string(d) + "d";
}

json::object make_table(const resource_type& type,
                        const std::vector<object_ptr>& items,
                        const table_request& req) {
  json::object table{{"kind", "Table"},
                     {"apiVersion", req.api_version},
                     {"metadata", json::object{}}};
  if (req.headers) {
    json::array defs{{{"name", "Name"},
                      {"type", "string"},
                      {"format", "name"},
                      {"description", "Name must be unique within a "
                                      "namespace."},
                      {"priority", 0}}};
    for (auto& c : columns_of(type))
      defs.push_back(json::object{{"name", c.name},
                                  {"type", c.type},
                                  {"format", ""},
                                  {"description", c.name},
                                  {"priority", c.priority}});
    for (auto& c : type.columns)
      defs.push_back(
          json::object{{"name", c.name},
                       {"type", c.type == "date" ? "string" : c.type},
                       {"format", ""},
                       {"description", c.json_path},
                       {"priority", c.priority}});
    defs.push_back(json::object{{"name", "Age"},
                                {"type", "string"},
                                {"format", ""},
                                {"description", "CreationTimestamp"},
                                {"priority", 0}});
    table["columnDefinitions"] = std::move(defs);
  }
  json::array rows;
  for (auto& item : items) {
    json::array cells;
    cells.emplace_back(meta_str(*item, "name"));
    for (auto& c : cells_of(type, *item))
      cells.push_back(c);
    cells.emplace_back(human_age(meta_str(*item, "creationTimestamp")));
    json::object row{{"cells", std::move(cells)}};
    if (req.include_object == "Object") {
      row["object"] = *item;
    } else if (req.include_object != "None") {
      json::object md;
      if (auto* m = child(*item, "metadata"))
        md = *m;
      md.erase("managedFields");
      row["object"] = json::object{{"kind", "PartialObjectMetadata"},
                                   {"apiVersion", "meta.k8s.io/v1"},
                                   {"metadata", std::move(md)}};
    }
    rows.push_back(std::move(row));
  }
  table["rows"] = std::move(rows);
  return table;
}

} // namespace kube_emulator
