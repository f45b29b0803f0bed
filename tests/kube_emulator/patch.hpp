#pragma once

#include <string>
#include <string_view>

#include "tests/kube_emulator/types.hpp"

namespace kube_emulator {

/// The key that identifies items of the list `field` (e.g. "name" for
/// containers), or "" when the list is atomic. Built-in Kubernetes merge
/// keys only; custom resources' lists are atomic, as without a schema.
std::string list_merge_key(std::string_view field, const json::array& items);

/// RFC 7386 JSON merge patch.
json::value merge_patch(json::value target, const json::value& patch);

/// Kubernetes strategic merge patch: merge patch, plus lists merged by their
/// merge key and the `$patch`, `$deleteFromPrimitiveList`,
/// `$setElementOrder` and `$retainKeys` directives.
json::value strategic_merge_patch(json::value target, const json::value& patch);

/// RFC 6902 JSON patch; throws api_error (422 for a failing operation).
json::value json_patch(json::value target, const json::value& ops);

} // namespace kube_emulator
