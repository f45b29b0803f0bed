#include "tests/kube_emulator/patch.hpp"

#include <algorithm>
#include <map>

#include "tests/kube_emulator/objects.hpp"

namespace kube_emulator {

std::string list_merge_key(std::string_view field, const json::array& items) {
  static const std::map<std::string_view, std::vector<std::string>> keys = {
      {"containers", {"name"}},
      {"initContainers", {"name"}},
      {"ephemeralContainers", {"name"}},
      {"volumes", {"name"}},
      {"env", {"name"}},
      {"imagePullSecrets", {"name"}},
      {"volumeMounts", {"mountPath"}},
      {"volumeDevices", {"devicePath"}},
      {"ports", {"containerPort", "port"}},
      {"conditions", {"type"}},
      {"hostAliases", {"ip"}},
      {"topologySpreadConstraints", {"topologyKey"}},
      {"ownerReferences", {"uid"}},
      {"subjects", {"name"}},
  };
  auto it = keys.find(field);
  if (it == keys.end())
    return {};
  for (auto& key : it->second) {
    bool all = !items.empty();
    for (auto& item : items)
      if (!item.is_object() || !item.as_object().contains(key)) {
        all = false;
        break;
      }
    if (all)
      return key;
  }
  return {};
}

json::value merge_patch(json::value target, const json::value& patch) {
  if (!patch.is_object())
    return patch;
  if (!target.is_object())
    target = json::object{};
  auto& t = target.as_object();
  for (auto& kv : patch.as_object()) {
    if (kv.value().is_null()) {
      t.erase(kv.key());
    } else {
      auto* cur = t.if_contains(kv.key());
      t[kv.key()] =
          merge_patch(cur ? std::move(*cur) : json::value(nullptr), kv.value());
    }
  }
  return target;
}

namespace {

bool is_directive(std::string_view key) {
  return key == "$patch" || key == "$retainKeys"
         || key.rfind("$setElementOrder/", 0) == 0
         || key.rfind("$deleteFromPrimitiveList/", 0) == 0;
}

json::value strip_directives(const json::value& v) {
  if (v.is_array()) {
    json::array out;
    for (auto& x : v.as_array())
      out.push_back(strip_directives(x));
    return out;
  }
  if (!v.is_object())
    return v;
  json::object out;
  for (auto& kv : v.as_object())
    if (!is_directive(kv.key()))
      out[kv.key()] = strip_directives(kv.value());
  return out;
}

json::value smp_list(json::value target, const json::array& patch,
                     std::string_view field) {
  std::string key = list_merge_key(field, patch);
  if (key.empty() && target.is_array())
    key = list_merge_key(field, target.as_array());
  if (key.empty() || !target.is_array()) {
    if (field == "finalizers" && target.is_array()) {
      auto& t = target.as_array();
      for (auto& x : patch)
        if (std::find(t.begin(), t.end(), x) == t.end())
          t.push_back(x);
      return target;
    }
    json::array out;
    for (auto& x : patch) {
      if (x.is_object() && str(x.as_object(), "$patch") == "delete")
        continue;
      out.push_back(strip_directives(x));
    }
    return out;
  }
  auto& t = target.as_array();
  for (auto& item : patch) {
    if (!item.is_object())
      continue;
    auto* id = item.as_object().if_contains(key);
    auto match = std::find_if(t.begin(), t.end(), [&](const json::value& x) {
      return x.is_object() && id && x.as_object().if_contains(key)
             && x.as_object().at(key) == *id;
    });
    if (str(item.as_object(), "$patch") == "delete") {
      if (match != t.end())
        t.erase(match);
    } else if (match != t.end()) {
      *match = strategic_merge_patch(std::move(*match), item);
    } else {
      t.push_back(strip_directives(item));
    }
  }
  return target;
}

} // namespace

json::value strategic_merge_patch(json::value target,
                                  const json::value& patch) {
  if (!patch.is_object())
    return patch;
  auto& p = patch.as_object();
  auto directive = str(p, "$patch");
  if (directive == "replace")
    return strip_directives(patch);
  if (directive == "delete")
    return json::object{};
  if (!target.is_object())
    target = json::object{};
  auto& t = target.as_object();
  for (auto& kv : p) {
    std::string_view key = kv.key();
    if (key.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      auto field = key.substr(25);
      auto* list = t.if_contains(field);
      if (list && list->is_array() && kv.value().is_array()) {
        auto& l = list->as_array();
        for (auto& x : kv.value().as_array())
          l.erase(std::remove(l.begin(), l.end(), x), l.end());
      }
      continue;
    }
    if (is_directive(key))
      continue;
    auto* cur = t.if_contains(key);
    if (kv.value().is_null()) {
      t.erase(key);
    } else if (kv.value().is_object()) {
      t[key] = strategic_merge_patch(cur ? std::move(*cur) : json::value{},
                                     kv.value());
    } else if (kv.value().is_array()) {
      t[key] = smp_list(cur ? std::move(*cur) : json::value{},
                        kv.value().as_array(), key);
    } else {
      t[key] = kv.value();
    }
  }
  return target;
}

// -- JSON patch
// ----------------------------------------------------------------

namespace {

std::vector<std::string> split_pointer(const std::string& ptr) {
  if (ptr.empty())
    return {};
  if (ptr[0] != '/')
    throw bad_request("json patch: invalid pointer \"" + ptr + "\"");
  std::vector<std::string> out;
  size_t start = 1;
  while (true) {
    auto slash = ptr.find('/', start);
    std::string part =
        ptr.substr(start, slash == std::string::npos ? slash : slash - start);
    std::string decoded;
    for (size_t i = 0; i < part.size(); ++i) {
      if (part[i] == '~' && i + 1 < part.size()) {
        decoded += part[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        decoded += part[i];
      }
    }
    out.push_back(decoded);
    if (slash == std::string::npos)
      break;
    start = slash + 1;
  }
  return out;
}

api_error patch_failed(const std::string& why) {
  return api_error(422, "Invalid",
                   "the server rejected our request due to an "
                   "error in our request: "
                       + why);
}

size_t array_index(const json::array& a, const std::string& part, bool insert) {
  if (insert && part == "-")
    return a.size();
  if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos)
    throw patch_failed("invalid array index \"" + part + "\"");
  size_t i = std::stoul(part);
  if (i > a.size() || (!insert && i == a.size()))
    throw patch_failed("array index " + part + " out of bounds");
  return i;
}

json::value* resolve(json::value& root, const std::vector<std::string>& parts,
                     size_t count) {
  json::value* cur = &root;
  for (size_t i = 0; i < count; ++i) {
    if (cur->is_object()) {
      cur = cur->as_object().if_contains(parts[i]);
    } else if (cur->is_array()) {
      auto& a = cur->as_array();
      cur = &a[array_index(a, parts[i], false)];
    } else {
      cur = nullptr;
    }
    if (!cur)
      throw patch_failed("path not found: /" + parts[i]);
  }
  return cur;
}

json::value take(json::value& root, const std::vector<std::string>& parts) {
  if (parts.empty())
    throw patch_failed("cannot remove the root");
  auto& parent = *resolve(root, parts, parts.size() - 1);
  if (parent.is_object()) {
    auto* v = parent.as_object().if_contains(parts.back());
    if (!v)
      throw patch_failed("path not found: /" + parts.back());
    json::value out = std::move(*v);
    parent.as_object().erase(parts.back());
    return out;
  }
  if (parent.is_array()) {
    auto& a = parent.as_array();
    auto i = array_index(a, parts.back(), false);
    json::value out = std::move(a[i]);
    a.erase(a.begin() + static_cast<std::ptrdiff_t>(i));
    return out;
  }
  throw patch_failed("path not found");
}

void put(json::value& root, const std::vector<std::string>& parts,
         json::value v, bool replace) {
  if (parts.empty()) {
    root = std::move(v);
    return;
  }
  auto& parent = *resolve(root, parts, parts.size() - 1);
  if (parent.is_object()) {
    if (replace && !parent.as_object().contains(parts.back()))
      throw patch_failed("replace: path not found: /" + parts.back());
    parent.as_object()[parts.back()] = std::move(v);
  } else if (parent.is_array()) {
    auto& a = parent.as_array();
    auto i = array_index(a, parts.back(), !replace);
    if (replace)
      a[i] = std::move(v);
    else
      a.insert(a.begin() + static_cast<std::ptrdiff_t>(i), std::move(v));
  } else {
    throw patch_failed("parent is not a container");
  }
}

} // namespace

json::value json_patch(json::value target, const json::value& ops) {
  if (!ops.is_array())
    throw bad_request("json patch: the body must be a JSON array");
  for (auto& op_v : ops.as_array()) {
    if (!op_v.is_object())
      throw bad_request("json patch: each operation must be an object");
    auto& op = op_v.as_object();
    auto name = str(op, "op");
    auto path = split_pointer(str(op, "path"));
    auto* value = op.if_contains("value");
    if (name == "add" || name == "replace") {
      if (!value)
        throw bad_request("json patch: " + name + " needs a value");
      put(target, path, *value, name == "replace");
    } else if (name == "remove") {
      take(target, path);
    } else if (name == "move" || name == "copy") {
      auto from = split_pointer(str(op, "from"));
      json::value v = name == "move" ? take(target, from)
                                     : *resolve(target, from, from.size());
      put(target, path, std::move(v), false);
    } else if (name == "test") {
      if (!value || *resolve(target, path, path.size()) != *value)
        throw patch_failed("test failed at " + str(op, "path"));
    } else {
      throw bad_request("json patch: unknown operation \"" + name + "\"");
    }
  }
  return target;
}

} // namespace kube_emulator
