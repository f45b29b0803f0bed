#pragma once

#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "adapters/manifests/resource.hpp"

/// What sync needs from a loaded resource (§7.3-7.5, §7.8): the object to
/// apply with Flux's metadata merged in, whether its file says to ignore
/// it, and the order in which to apply.
namespace fluxd::manifests {

inline constexpr const char* gc_mark_label = "fluxcd.io/sync-gc-mark";
inline constexpr const char* checksum_annotation = "fluxcd.io/sync-checksum";

/// `sha256.` + base64url without padding of SHA-256(sync set ‖ ID).
std::string gc_mark(const std::string& sync_set, const std::string& id);

/// The JSON to apply: the object with `metadata.namespace` set to the
/// effective namespace (namespaced kinds), the gc-mark label and the
/// checksum annotation of the manifest as written in git.
boost::json::value prepare_for_apply(const resource& r,
                                     const std::string& sync_set);
/// The same from `object` = to_json(r.node) and `sum` = checksum(r.node),
/// for callers that keep those instead of the node.
boost::json::value prepare_for_apply(boost::json::value object,
                                     const resource& r,
                                     const std::string& sync_set,
                                     const std::string& sum);

/// `ignore: "true"` under any prefix (`sync_only` is still applied).
bool ignored_in_file(const resource& r);
/// `ignore` set at all (`true` or `sync_only`): never garbage-collected.
bool never_collect(const resource& r);

/// Rank of a kind in apply order: namespaces, then CRDs, service
/// accounts, roles, volumes and services, then config, then workloads,
/// then everything else (§7.5).
int kind_rank(const std::string& kind);

/// IDs sorted for applying (rank, then name); reverse it for deletion.
std::vector<std::string> apply_order(std::vector<std::string> ids);

} // namespace fluxd::manifests
