#include "adapters/manifests/workload.hpp"

#include <algorithm>
#include <map>

#include "adapters/manifests/loader.hpp"
#include "adapters/manifests/resource.hpp"

namespace fluxd::manifests {

namespace {

constexpr const char* chart_image = "chart-image";

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 10
         && std::all_of(s.begin(), s.end(),
                        [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string> scalar(const YAML::Node& root,
                                  const value_path& p) {
  auto n = node_at(root, p);
  if (n && n.IsScalar())
    return n.Scalar();
  return std::nullopt;
}

value_path append(value_path p, const std::string& key) {
  p.push_back(key);
  return p;
}

/// Reads a split image back into one ref; nullopt when a part is missing.
std::optional<std::string> assemble(const YAML::Node& obj,
                                    const image_location& where) {
  auto img = scalar(obj, where.image);
  if (!img)
    return std::nullopt;
  std::string text = *img;
  if (where.registry) {
    auto reg = scalar(obj, *where.registry);
    if (!reg)
      return std::nullopt;
    if (!reg->empty())
      text = *reg + "/" + text;
  }
  if (where.tag) {
    auto tag = scalar(obj, *where.tag);
    if (!tag)
      return std::nullopt;
    if (!tag->empty())
      text += ":" + *tag;
  }
  return text;
}

/// §6.4 auto-detection on a mapping `m` at `base` (values or one value).
std::optional<image_location> interpret(const YAML::Node& m,
                                        const value_path& base) {
  if (!m || !m.IsMap())
    return std::nullopt;
  const auto img = m["image"];
  if (!img)
    return std::nullopt;
  image_location loc;
  if (img.IsScalar()) {
    loc.image = append(base, "image");
    if (m["registry"] && m["registry"].IsScalar())
      loc.registry = append(base, "registry");
    if (m["tag"] && m["tag"].IsScalar())
      loc.tag = append(base, "tag");
    return loc;
  }
  if (img.IsMap() && img["repository"] && img["repository"].IsScalar()) {
    auto ib = append(base, "image");
    loc.image = append(ib, "repository");
    if (img["registry"] && img["registry"].IsScalar())
      loc.registry = append(ib, "registry");
    if (img["tag"] && img["tag"].IsScalar())
      loc.tag = append(ib, "tag");
    return loc;
  }
  return std::nullopt;
}

void pod_containers(const YAML::Node& obj, const value_path& pod_spec,
                    workload_containers& out) {
  for (const char* field : {"containers", "initContainers"}) {
    auto list_path = append(pod_spec, field);
    const auto list = node_at(obj, list_path);
    if (!list || !list.IsSequence())
      continue;
    for (std::size_t i = 0; i < list.size(); ++i) {
      container c;
      c.init = std::string(field) == "initContainers";
      const auto item = list[i];
      if (item.IsMap() && item["name"] && item["name"].IsScalar())
        c.name = item["name"].Scalar();
      c.where.image = append(append(list_path, std::to_string(i)), "image");
      auto text = scalar(obj, c.where.image);
      try {
        c.image = image::parse_ref(text ? *text : "");
      } catch (const image::ref_error& e) {
        out.containers.clear();
        out.excuse = e.what();
        return;
      }
      out.containers.push_back(std::move(c));
    }
  }
}

void helm_containers(const YAML::Node& obj, workload_containers& out) {
  const value_path values_path = {"spec", "values"};
  const auto values = node_at(obj, values_path);
  std::map<std::string, image_location> found;
  if (auto loc = interpret(values, values_path))
    found[chart_image] = *loc;
  if (values && values.IsMap())
    for (auto it = values.begin(); it != values.end(); ++it) {
      if (!it->first.IsScalar())
        continue;
      auto key = it->first.Scalar();
      if (auto loc = interpret(it->second, append(values_path, key)))
        found[key] = *loc;
    }
  // User mappings from annotations override what was detected.
  auto with_values = [&](const std::string& dotted) {
    auto p = values_path;
    for (auto& k : split_path(dotted))
      p.push_back(k);
    return p;
  };
  auto ann = annotations_of(obj);
  const std::string repo_prefix = "repository.fluxcd.io/";
  for (const auto& [key, path] : ann) {
    if (key.rfind(repo_prefix, 0) != 0)
      continue;
    auto alias = key.substr(repo_prefix.size());
    image_location loc;
    loc.image = with_values(path);
    if (auto r = ann.find("registry.fluxcd.io/" + alias); r != ann.end())
      loc.registry = with_values(r->second);
    if (auto t = ann.find("tag.fluxcd.io/" + alias); t != ann.end())
      loc.tag = with_values(t->second);
    if (assemble(obj, loc))
      found[alias] = loc;
  }
  std::vector<std::string> names;
  for (const auto& [name, _] : found)
    names.push_back(name);
  std::stable_partition(names.begin(), names.end(),
                        [](const auto& n) { return n == chart_image; });
  for (const auto& name : names) {
    container c;
    c.name = name;
    c.where = found[name];
    auto text = assemble(obj, c.where);
    try {
      c.image = image::parse_ref(text ? *text : "");
    } catch (const image::ref_error& e) {
      out.containers.clear();
      out.excuse = e.what();
      return;
    }
    out.containers.push_back(std::move(c));
  }
}

} // namespace

value_path split_path(const std::string& dotted) {
  value_path out;
  std::size_t start = 0;
  for (;;) {
    auto dot = dotted.find('.', start);
    out.push_back(dotted.substr(start, dot - start));
    if (dot == std::string::npos)
      return out;
    start = dot + 1;
  }
}

std::string join_path(const value_path& p) {
  std::string out;
  for (const auto& k : p)
    out += (out.empty() ? "" : ".") + k;
  return out;
}

YAML::Node node_at(const YAML::Node& root, const value_path& path) {
  // Only reset() rebinds a yaml-cpp Node; operator= would write into the
  // tree, and a non-const operator[] inserts, so walk const views only.
  YAML::Node cur;
  cur.reset(root);
  for (const auto& key : path) {
    const YAML::Node& here = cur;
    YAML::Node next(YAML::NodeType::Undefined);
    if (here.IsSequence() && is_index(key)) {
      auto i = std::stoul(key);
      if (i < here.size())
        next.reset(here[i]);
    } else if (here.IsMap()) {
      for (auto it = here.begin(); it != here.end(); ++it)
        if (it->first.IsScalar() && it->first.Scalar() == key) {
          next.reset(it->second);
          break;
        }
    }
    if (!next.IsDefined())
      return YAML::Node(YAML::NodeType::Undefined);
    cur.reset(next);
  }
  return cur;
}

bool is_workload_kind(const std::string& kind) {
  auto k = lower(kind);
  return k == "deployment" || k == "daemonset" || k == "statefulset"
         || k == "cronjob" || k == "helmrelease";
}

workload_containers containers_of(const YAML::Node& obj) {
  workload_containers out;
  if (!obj || !obj.IsMap() || !obj["kind"] || !obj["kind"].IsScalar())
    return out;
  auto kind = lower(obj["kind"].Scalar());
  if (kind == "cronjob")
    pod_containers(obj, {"spec", "jobTemplate", "spec", "template", "spec"},
                   out);
  else if (kind == "deployment" || kind == "daemonset"
           || kind == "statefulset")
    pod_containers(obj, {"spec", "template", "spec"}, out);
  else if (kind == "helmrelease")
    helm_containers(obj, out);
  return out;
}

std::vector<std::pair<value_path, std::string>>
image_writes(const container& c, const image::ref& new_ref) {
  const auto& w = c.where;
  std::vector<std::pair<value_path, std::string>> out;
  if (w.registry && w.tag) {
    out.emplace_back(*w.registry, new_ref.domain);
    out.emplace_back(w.image, new_ref.path);
    out.emplace_back(*w.tag, new_ref.tag);
  } else if (w.registry) {
    out.emplace_back(*w.registry, new_ref.domain);
    out.emplace_back(w.image, new_ref.tag.empty()
                                ? new_ref.path
                                : new_ref.path + ":" + new_ref.tag);
  } else if (w.tag) {
    out.emplace_back(w.image, new_ref.name());
    out.emplace_back(*w.tag, new_ref.tag);
  } else {
    out.emplace_back(w.image, new_ref.to_string());
  }
  return out;
}

} // namespace fluxd::manifests
