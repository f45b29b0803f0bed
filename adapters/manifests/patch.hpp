#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "adapters/manifests/loader.hpp"

/// patchUpdated support (§8.4): applying a patch file to generated
/// manifests, and computing the patch file back from edited manifests.
/// Built-in kinds get a strategic merge patch (lists of containers, ports,
/// env, volumes, … merged by key, `$setElementOrder`, `$patch: delete`);
/// other kinds (HelmRelease, CRDs) an RFC 7386 JSON merge patch.
namespace fluxd::manifests {

/// True for kinds the Kubernetes client scheme knows (strategic merge).
bool strategic_kind(const std::string& kind);

/// `original` with `patch` applied; neither argument is modified.
YAML::Node apply_patch(const YAML::Node& original, const YAML::Node& patch,
                       bool strategic);

/// A patch turning `from` into `to`; an empty map when they are equal.
YAML::Node diff_patch(const YAML::Node& from, const YAML::Node& to,
                      bool strategic);

/// Serialises documents as go-yaml does for Flux v1: `---` before each,
/// keys sorted, two-space indentation, list dashes at the key's column.
std::string emit_sorted(const YAML::Node& doc);

/// The effective manifests: every generated resource (sorted by ID) with
/// its patch applied. Throws manifest_error `patch refers to missing
/// resource (<id>)`. `patch_file` may be empty (an absent file).
std::string apply_patch_file(const std::string& generated,
                             const std::string& patch_file,
                             const load_options& opts = {});

/// The patch file that turns `generated` into `updated` (resources present
/// in both, sorted by ID; each patch names apiVersion, kind, name and
/// namespace so it can be matched).
std::string make_patch_file(const std::string& generated,
                            const std::string& updated,
                            const load_options& opts = {});

} // namespace fluxd::manifests
