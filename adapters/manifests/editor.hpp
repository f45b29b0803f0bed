#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/image/ref.hpp"
#include "adapters/manifests/loader.hpp"
#include "adapters/manifests/policy.hpp"
#include "adapters/manifests/resource.hpp"
#include "adapters/manifests/workload.hpp"

/// In-place edits of manifest files (what kubeyaml does for Flux v1, §4.5):
/// only the bytes of the changed value (or added/removed line) change;
/// comments, key order, quoting, indentation, line endings and the other
/// documents stay as they were. Every edit is re-parsed and checked against
/// the intended change before it is returned.
namespace fluxd::manifests {

/// An edit that cannot be made; the message says what was not found.
class edit_error : public manifest_error {
public:
  using manifest_error::manifest_error;
};

/// The document to edit: kind (any case), namespace and name as written
/// (an absent or empty namespace matches `default`, as kubeyaml does).
/// Documents of `…List` kinds are searched through their items.
struct edit_target {
  std::string kind;
  std::string ns;
  std::string name;
};

edit_target target_of(const resource& r);
/// From an ID; `<cluster>` becomes no namespace.
edit_target target_of_id(const std::string& id);

/// Sets the image of container `container` (containers, init containers,
/// or a HelmRelease's values keeping its registry/repository/tag split).
std::string set_container_image(std::string_view file, const edit_target& t,
                                const std::string& container,
                                const image::ref& new_ref,
                                const limits& lim = {});

/// Sets or deletes annotations; `metadata.annotations` is created when
/// needed and removed when it becomes empty. New values that YAML would
/// read as non-strings are single-quoted (`'true'`).
std::string set_annotations(std::string_view file, const edit_target& t,
                            const std::vector<annotation_change>& changes,
                            const limits& lim = {});

/// A policy update (§4.4): validation, tag_all, prefix reuse, then
/// set_annotations.
std::string update_policies(std::string_view file, const edit_target& t,
                            const policy_update& update,
                            const limits& lim = {});

/// Sets existing scalars at paths from the object root (kubeyaml `set`);
/// a path that does not lead to a scalar is an error.
std::string set_values(std::string_view file, const edit_target& t,
                       const std::vector<std::pair<value_path, std::string>>&
                         writes,
                       const limits& lim = {});

} // namespace fluxd::manifests
