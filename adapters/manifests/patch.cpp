#include "adapters/manifests/patch.hpp"

#include <algorithm>
#include <list>
#include <map>
#include <set>
#include <vector>

#include "adapters/manifests/yaml_text.hpp"

namespace fluxd::manifests {

namespace {

const std::string order_prefix = "$setElementOrder/";

/// Merge keys of the lists Flux's manifests touch, by field name.
std::string merge_key(const std::string& field, const YAML::Node& list) {
  static const std::map<std::string, std::string> keys = {
    {"containers", "name"},   {"initContainers", "name"},
    {"ephemeralContainers", "name"}, {"env", "name"},
    {"volumes", "name"},      {"volumeMounts", "mountPath"},
    {"imagePullSecrets", "name"}, {"hostAliases", "ip"},
    {"conditions", "type"},   {"volumeDevices", "devicePath"}};
  if (field == "ports") {
    for (auto it = list.begin(); it != list.end(); ++it)
      if (it->IsMap() && (*it)["containerPort"])
        return "containerPort";
    return "port";
  }
  auto k = keys.find(field);
  return k == keys.end() ? "" : k->second;
}

bool is_null(const YAML::Node& n) { return !n || n.IsNull(); }

std::string key_of(const YAML::Node& item, const std::string& key) {
  if (!item.IsMap())
    return {};
  const YAML::Node& c = item;
  auto v = c[key];
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

bool plain_tag(const std::string& tag) {
  return tag.empty() || tag == "?" || tag == "!";
}

bool same(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type())
    return false;
  if (a.IsScalar())
    return a.Scalar() == b.Scalar()
           && (a.Tag() == b.Tag() || (plain_tag(a.Tag()) && plain_tag(b.Tag())
                                      && (a.Tag() == "!") == (b.Tag() == "!")));
  if (a.IsSequence()) {
    if (a.size() != b.size())
      return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i]))
        return false;
    return true;
  }
  if (a.IsMap()) {
    if (a.size() != b.size())
      return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      const YAML::Node& cb = b;
      auto other = cb[it->first.Scalar()];
      if (!other || !same(it->second, other))
        return false;
    }
    return true;
  }
  return true;
}

YAML::Node merge(const YAML::Node& target, const YAML::Node& patch,
                 bool strategic, const std::string& field);

YAML::Node merge_list(const YAML::Node& target, const YAML::Node& patch,
                      const std::string& key, const YAML::Node& order) {
  // A list, not a vector: vector moves elements with Node::operator=,
  // which writes through to the shared node instead of rebinding.
  std::list<YAML::Node> items;
  if (target && target.IsSequence())
    for (auto it = target.begin(); it != target.end(); ++it)
      items.push_back(YAML::Clone(*it));
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    auto k = key_of(*it, key);
    auto match = std::find_if(items.begin(), items.end(), [&](auto& i) {
      return !k.empty() && key_of(i, key) == k;
    });
    const YAML::Node p = *it;
    bool del = p.IsMap() && p["$patch"] && p["$patch"].Scalar() == "delete";
    if (del) {
      if (match != items.end())
        items.erase(match);
    } else if (match != items.end()) {
      match->reset(merge(*match, p, true, ""));
    } else {
      items.push_back(merge(YAML::Node(YAML::NodeType::Map), p, true, ""));
    }
  }
  YAML::Node out(YAML::NodeType::Sequence);
  if (order && order.IsSequence())
    for (auto it = order.begin(); it != order.end(); ++it) {
      auto k = key_of(*it, key);
      for (auto i = items.begin(); i != items.end(); ++i)
        if (key_of(*i, key) == k) {
          out.push_back(*i);
          items.erase(i);
          break;
        }
    }
  for (auto& rest : items)
    out.push_back(rest);
  return out;
}

YAML::Node merge(const YAML::Node& target, const YAML::Node& patch,
                 bool strategic, const std::string& field) {
  if (!patch.IsMap())
    return YAML::Clone(patch);
  const YAML::Node& cp = patch;
  if (strategic && cp["$patch"] && cp["$patch"].Scalar() == "replace") {
    YAML::Node out = YAML::Clone(patch);
    out.remove("$patch");
    return out;
  }
  YAML::Node out = target && target.IsMap() ? YAML::Clone(target)
                                            : YAML::Node(YAML::NodeType::Map);
  (void)field;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    auto k = it->first.Scalar();
    if (strategic && (k.rfind("$", 0) == 0))
      continue; // directives are read with their lists
    const YAML::Node v = it->second;
    if (is_null(v)) {
      out.remove(k);
      continue;
    }
    const YAML::Node& co = out;
    YAML::Node current;
    if (co[k])
      current.reset(co[k]);
    if (strategic && v.IsSequence()) {
      auto key = merge_key(k, v);
      if (!key.empty()) {
        out[k] = merge_list(current, v, key, cp[order_prefix + k]);
        continue;
      }
    }
    out[k] = merge(current, v, strategic, k);
  }
  return out;
}

YAML::Node diff_list(const YAML::Node& from, const YAML::Node& to,
                     const std::string& key, bool& changed,
                     YAML::Node& order) {
  YAML::Node out(YAML::NodeType::Sequence);
  order.reset(YAML::Node(YAML::NodeType::Sequence));
  std::set<std::string> seen;
  bool reordered = from.size() != to.size();
  for (std::size_t i = 0; i < to.size(); ++i) {
    auto k = key_of(to[i], key);
    seen.insert(k);
    YAML::Node entry(YAML::NodeType::Map);
    entry[key] = YAML::Clone(to[i][key]);
    order.push_back(entry);
    if (i >= from.size() || key_of(from[i], key) != k)
      reordered = true;
    YAML::Node before;
    for (std::size_t j = 0; j < from.size(); ++j)
      if (key_of(from[j], key) == k)
        before.reset(from[j]);
    if (!before) {
      out.push_back(YAML::Clone(to[i]));
      continue;
    }
    auto d = diff_patch(before, to[i], true);
    if (d.size() > 0) {
      d[key] = YAML::Clone(to[i][key]);
      out.push_back(d);
    }
  }
  for (std::size_t j = 0; j < from.size(); ++j)
    if (!seen.count(key_of(from[j], key))) {
      YAML::Node del(YAML::NodeType::Map);
      del["$patch"] = "delete";
      del[key] = YAML::Clone(from[j][key]);
      out.push_back(del);
    }
  changed = out.size() > 0 || reordered;
  return out;
}

void emit(std::string& out, const YAML::Node& n, std::size_t indent,
          bool in_seq);

std::string scalar_text(const YAML::Node& n) {
  if (is_null(n))
    return "null";
  if (n.Tag() == "?" || (!plain_tag(n.Tag()) && n.Tag() != "!"))
    return n.Scalar().empty() ? "\"\"" : n.Scalar();
  return yaml_text::render(n.Scalar(), yaml_text::style::plain, false);
}

void emit_map(std::string& out, const YAML::Node& n, std::size_t indent,
              bool first_inline) {
  std::vector<std::string> keys;
  for (auto it = n.begin(); it != n.end(); ++it)
    keys.push_back(it->first.Scalar());
  std::sort(keys.begin(), keys.end());
  bool first = true;
  const YAML::Node& cn = n;
  for (const auto& k : keys) {
    if (!(first && first_inline))
      out += std::string(indent, ' ');
    first = false;
    out += yaml_text::render(k, yaml_text::style::plain, false) + ":";
    auto v = cn[k];
    if (v.IsMap() && v.size() > 0) {
      out += "\n";
      emit_map(out, v, indent + 2, false);
    } else if (v.IsSequence() && v.size() > 0) {
      out += "\n";
      emit(out, v, indent, false);
    } else {
      out += " ";
      emit(out, v, indent + 2, false);
    }
  }
}

void emit(std::string& out, const YAML::Node& n, std::size_t indent,
          bool in_seq) {
  (void)in_seq;
  if (n.IsMap()) {
    if (n.size() == 0) {
      out += "{}\n";
      return;
    }
    emit_map(out, n, indent, false);
  } else if (n.IsSequence()) {
    if (n.size() == 0) {
      out += "[]\n";
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      out += std::string(indent, ' ') + "- ";
      if (it->IsMap() && it->size() > 0)
        emit_map(out, *it, indent + 2, true);
      else if (it->IsSequence() && it->size() > 0) {
        out += "\n";
        emit(out, *it, indent + 2, true);
      } else
        emit(out, *it, indent + 2, true);
    }
  } else {
    out += scalar_text(n) + "\n";
  }
}

struct loaded_doc {
  std::string id;
  YAML::Node node;
  bool strategic = false;
};

std::map<std::string, loaded_doc> load_docs(const std::string& text,
                                            const std::string& name,
                                            const load_options& opts) {
  load_options o = opts;
  o.paths.clear();
  o.allow_namespaces.clear();
  auto r = load({{name + ".yaml", text}}, o);
  if (!r.errors.empty())
    throw manifest_error(r.errors.front().to_string());
  std::map<std::string, loaded_doc> out;
  for (const auto& [id, res] : r.resources)
    out[id] = {id, res.node, strategic_kind(res.kind)};
  return out;
}

} // namespace

bool strategic_kind(const std::string& kind) {
  return lower(kind) != "helmrelease"
         && default_scope("", kind).has_value();
}

YAML::Node apply_patch(const YAML::Node& original, const YAML::Node& patch,
                       bool strategic) {
  return merge(original, patch, strategic, "");
}

YAML::Node diff_patch(const YAML::Node& from, const YAML::Node& to,
                      bool strategic) {
  YAML::Node out(YAML::NodeType::Map);
  if (!from.IsMap() || !to.IsMap())
    return same(from, to) ? out : YAML::Clone(to);
  const YAML::Node& cf = from;
  const YAML::Node& ct = to;
  for (auto it = from.begin(); it != from.end(); ++it)
    if (!ct[it->first.Scalar()])
      out[it->first.Scalar()] = YAML::Node(YAML::NodeType::Null);
  for (auto it = to.begin(); it != to.end(); ++it) {
    auto k = it->first.Scalar();
    const YAML::Node v = it->second;
    auto before = cf[k];
    if (!before) {
      out[k] = YAML::Clone(v);
    } else if (before.IsMap() && v.IsMap()) {
      auto d = diff_patch(before, v, strategic);
      if (d.size() > 0)
        out[k] = d;
    } else if (strategic && before.IsSequence() && v.IsSequence()
               && !merge_key(k, v).empty() && !same(before, v)) {
      bool changed = false;
      YAML::Node order;
      auto d = diff_list(before, v, merge_key(k, v), changed, order);
      if (changed) {
        out[order_prefix + k] = order;
        out[k] = d;
      }
    } else if (!same(before, v)) {
      out[k] = YAML::Clone(v);
    }
  }
  return out;
}

std::string emit_sorted(const YAML::Node& doc) {
  std::string out = "---\n";
  emit(out, doc, 0, false);
  return out;
}

std::string apply_patch_file(const std::string& generated,
                             const std::string& patch_file,
                             const load_options& opts) {
  auto gen = load_docs(generated, "generated", opts);
  auto patches = load_docs(patch_file, "patch", opts);
  for (const auto& [id, p] : patches) {
    auto it = gen.find(id);
    if (it == gen.end())
      throw manifest_error("patch refers to missing resource (" + id + ")");
    it->second.node.reset(
      apply_patch(it->second.node, p.node, it->second.strategic));
  }
  std::string out;
  for (const auto& [id, d] : gen)
    out += emit_sorted(d.node);
  return out;
}

std::string make_patch_file(const std::string& generated,
                            const std::string& updated,
                            const load_options& opts) {
  auto gen = load_docs(generated, "generated", opts);
  auto upd = load_docs(updated, "updated", opts);
  std::string out;
  for (const auto& [id, d] : gen) {
    auto it = upd.find(id);
    if (it == upd.end())
      continue;
    auto p = diff_patch(d.node, it->second.node, d.strategic);
    if (p.size() == 0)
      continue;
    const YAML::Node& src = d.node;
    p["apiVersion"] = YAML::Clone(src["apiVersion"]);
    p["kind"] = YAML::Clone(src["kind"]);
    const YAML::Node md = src["metadata"];
    p["metadata"]["name"] = YAML::Clone(md["name"]);
    if (md["namespace"])
      p["metadata"]["namespace"] = YAML::Clone(md["namespace"]);
    out += emit_sorted(p);
  }
  return out;
}

} // namespace fluxd::manifests
