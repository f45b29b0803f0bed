#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

/// Workload policies stored as annotations (§4.1-4.4): reading them with
/// all three prefixes, and turning a policy update into annotation edits.
namespace fluxd::manifests {

/// Policy name → value (`automated`, `locked`, `tag.<container>`, …).
using policy_set = std::map<std::string, std::string>;
using annotation_map = std::map<std::string, std::string>;

namespace policy {
inline constexpr const char* automated = "automated";
inline constexpr const char* locked = "locked";
inline constexpr const char* locked_user = "locked_user";
inline constexpr const char* locked_msg = "locked_msg";
inline constexpr const char* ignore = "ignore";
inline constexpr const char* tag_all = "tag_all";
} // namespace policy

inline constexpr const char* policy_prefix = "fluxcd.io/";
inline constexpr const char* legacy_prefix = "flux.weave.works/";
inline constexpr const char* filter_prefix = "filter.fluxcd.io/";

inline std::string tag_policy(const std::string& container) {
  return "tag." + container;
}

/// Policies from annotations. With several spellings of one policy,
/// `fluxcd.io/` wins over `flux.weave.works/` over `filter.fluxcd.io/`.
/// `fluxcd_only` reads only `fluxcd.io/` (the cluster-side IgnoreFilter).
policy_set policies_of(const annotation_map& annotations,
                       bool fluxcd_only = false);

/// Boolean policies count only when exactly "true".
bool policy_true(const policy_set& set, const std::string& name);

/// The container's tag filter; `glob:*` when none.
std::string tag_pattern(const policy_set& set, const std::string& container);

/// One annotation edit: a value to set, or nullopt to delete the key.
struct annotation_change {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const annotation_change& o) const {
    return key == o.key && value == o.value;
  }
};

struct policy_update {
  policy_set add;
  policy_set remove; ///< values ignored
};

/// A policy update with `tag_all` expanded over `containers` (nullptr for
/// a resource without containers, which then cannot take tag_all), every
/// added tag pattern validated (throws image::pattern_error), and removals
/// overriding additions: name → value, or nullopt to remove.
std::map<std::string, std::optional<std::string>>
expand_policy_update(const policy_update& update,
                     const std::vector<std::string>* containers,
                     const std::string& id = {});

/// §4.4 steps 2-4: expands `tag_all` over `containers` (nullptr for a
/// resource without containers, which then cannot take tag_all), validates
/// every added tag pattern (throws image::pattern_error), lets a removal
/// override an addition, and picks each key reusing the prefix already in
/// use. Removals delete every spelling of the policy.
std::vector<annotation_change>
annotation_changes(const annotation_map& current, const policy_update& update,
                   const std::vector<std::string>* containers,
                   const std::string& id = {});

} // namespace fluxd::manifests
