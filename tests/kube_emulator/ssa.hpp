#pragma once

#include <set>
#include <string>
#include <vector>

#include "tests/kube_emulator/types.hpp"

/// Server-side apply: field ownership per manager (metadata.managedFields in
/// the FieldsV1 format), conflicts, and the apply merge.
namespace kube_emulator::ssa {

/// A field path in FieldsV1 elements: "f:spec", "k:{\"name\":\"web\"}", and
/// "." for a list item itself.
using path = std::vector<std::string>;
using field_set = std::set<path>;

/// The fields an object sets (identity metadata and status left out).
field_set fields_of(const json::object& obj);

/// FieldsV1 JSON of a field set and back.
json::object to_fields_v1(const field_set& fields);
field_set from_fields_v1(const json::object& fields_v1);

/// Who wrote what: the parties of the apply.
struct identity {
  std::string manager;
  std::string api_version;
};

/// Server-side apply of `applied` onto `live` (nullptr when creating).
/// Returns the merged object with updated managedFields; throws api_error
/// 409 listing the conflicts unless `force`.
json::object apply(const json::object* live, json::object applied,
                   const identity& who, bool force);

/// Records an Update operation (create, put, non-apply patch): `who` takes
/// the fields that changed from `before` to `after`; removed fields leave
/// every manager. Rewrites after.metadata.managedFields.
void record_update(const json::object* before, json::object& after,
                   const identity& who);

} // namespace kube_emulator::ssa
