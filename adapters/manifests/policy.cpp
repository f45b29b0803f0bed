#include "adapters/manifests/policy.hpp"

#include <set>

#include "adapters/image/tag_filter.hpp"
#include "adapters/manifests/resource.hpp"

namespace fluxd::manifests {

namespace {

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

const std::string tag_dot = "tag.";

/// Every annotation key that may hold `name`, in order of preference.
std::vector<std::string> spellings(const std::string& name) {
  std::vector<std::string> keys = {policy_prefix + name, legacy_prefix + name};
  if (starts_with(name, "tag."))
    keys.push_back(filter_prefix + name.substr(tag_dot.size()));
  return keys;
}

} // namespace

policy_set policies_of(const annotation_map& annotations, bool fluxcd_only) {
  policy_set out;
  auto read = [&](const char* prefix, bool is_filter) {
    for (const auto& [key, value] : annotations) {
      if (!starts_with(key, prefix))
        continue;
      auto rest = key.substr(std::string(prefix).size());
      if (rest.empty())
        continue;
      out[is_filter ? tag_dot + rest : rest] = value;
    }
  };
  if (!fluxcd_only) {
    read(filter_prefix, true); // lowest precedence first
    read(legacy_prefix, false);
  }
  read(policy_prefix, false);
  return out;
}

bool policy_true(const policy_set& set, const std::string& name) {
  auto it = set.find(name);
  return it != set.end() && it->second == "true";
}

std::string tag_pattern(const policy_set& set, const std::string& container) {
  auto it = set.find(tag_policy(container));
  return it == set.end() ? "glob:*" : it->second;
}

std::map<std::string, std::optional<std::string>>
expand_policy_update(const policy_update& update,
                     const std::vector<std::string>* containers,
                     const std::string& id) {
  policy_set add = update.add;
  std::set<std::string> remove;
  for (const auto& [name, _] : update.remove)
    remove.insert(name);
  if (auto all = add.find(policy::tag_all); all != add.end()) {
    auto pattern = all->second;
    add.erase(all);
    if (!containers)
      throw manifest_error("resource " + id + " does not have containers");
    for (const auto& c : *containers) {
      if (pattern == "glob:*")
        remove.insert(tag_policy(c));
      else
        add[tag_policy(c)] = pattern;
    }
  }
  for (const auto& [name, value] : add)
    if (starts_with(name, "tag."))
      image::tag_filter::parse_strict(value);
  std::map<std::string, std::optional<std::string>> out;
  for (const auto& [name, value] : add)
    out[name] = value;
  for (const auto& name : remove)
    out[name] = std::nullopt;
  return out;
}

std::vector<annotation_change>
annotation_changes(const annotation_map& current, const policy_update& update,
                   const std::vector<std::string>* containers,
                   const std::string& id) {
  auto expanded = expand_policy_update(update, containers, id);
  std::vector<annotation_change> out;
  for (const auto& [name, value] : expanded)
    if (!value)
      for (const auto& key : spellings(name))
        if (current.count(key))
          out.push_back({key, std::nullopt});
  for (const auto& [name, value] : expanded) {
    if (!value)
      continue;
    std::string key = policy_prefix + name;
    for (const auto& k : spellings(name))
      if (current.count(k)) {
        key = k;
        break;
      }
    out.push_back({key, *value});
  }
  return out;
}

} // namespace fluxd::manifests
