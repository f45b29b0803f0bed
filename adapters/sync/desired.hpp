#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "adapters/manifests/loader.hpp"
#include "adapters/manifests/sync.hpp"

/// What the sync applies (Flux v1 §7.3-7.5, §7.8), built on
/// manifests/sync.hpp (the object with gc mark and checksum): the checks that decide whether a live
/// object needs a write; and which marked objects garbage collection
/// deletes. Pure functions, no I/O.
namespace fluxd::sync {

using manifests::checksum_annotation;
using manifests::gc_mark;
using manifests::gc_mark_label;
using manifests::kind_rank;
/// The annotation `--sync-state=secret` keeps the revision in.
inline constexpr const char* secret_marker_annotation =
  "flux.weave.works/sync-hwm";

/// base64url-no-padding(SHA-256(url ‖ branch ‖ paths…)) (§7.8).
std::string sync_set_name(const std::string& sanitized_url,
                          const std::string& branch,
                          const std::vector<std::string>& paths);

/// One resource ready to apply.
struct desired_object {
  std::string id;
  std::string api_version;
  std::string kind;
  std::string ns; ///< effective; empty when cluster-scoped
  std::string name;
  std::string source;
  std::string checksum; ///< of the normalised document
  int rank = 4;
  bool ignore_in_file = false; ///< `ignore: "true"` (any prefix)
  boost::json::value object;   ///< with namespace, gc mark and checksum
};

/// The manifest as fluxd applies it (§7.3).
desired_object prepare(const manifests::resource& r,
                       const std::string& set_name);

/// `ignore` policy value of annotations (fluxcd.io/ or legacy prefixes).
std::string ignore_value(const std::map<std::string, std::string>& ann);
/// String annotations / labels of a JSON object.
std::map<std::string, std::string> annotations(const boost::json::value& o);
std::map<std::string, std::string> labels(const boost::json::value& o);
/// metadata.resourceVersion as a number when it is one.
std::optional<unsigned long long>
resource_version(const boost::json::value& o);

/// Whether every field `desired` sets has the same value in `live` (maps:
/// keys of desired only; lists: same length, element-wise). Fields only the
/// server or others set are not drift.
bool subset_equal(const boost::json::value& desired,
                  const boost::json::value& live);

/// Whether `a` and `b` agree on every field `shape` sets (the drift test
/// against the object as stored by fluxd's own last apply, so that values
/// the server normalises never look like drift).
bool same_on(const boost::json::value& shape, const boost::json::value& a,
             const boost::json::value& b);

/// A digest of `v` on the fields `shape` sets, so that two objects compare
/// by their digests as `same_on(shape, a, b)` compares them (numbers by
/// value, keys `shape` sets but neither object has are equal, elements past
/// the end of `shape`'s lists compared whole). Lets a resource actor keep
/// 32 bytes of the stored object instead of its whole tree.
std::string digest_on(const boost::json::value& shape,
                      const boost::json::value& v);

/// A marked object found by the GC listing.
struct marked_object {
  std::string id;
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;
  std::string mark;
  std::string checksum;
  std::string ignore;
  bool owned = false; ///< has ownerReferences
};

/// The decision for one marked object (§7.8).
struct gc_decision {
  marked_object object;
  enum class action { keep, remove, skip_ignored, skip_not_updated } what;
};

/// Objects whose mark is this set's mark for their own ID: those not in
/// `checksums` (ID → checksum synced) are removed unless ignored; those
/// whose live checksum differs are kept with a warning. Removals come in
/// reverse kind order.
std::vector<gc_decision>
gc_plan(const std::vector<marked_object>& live, const std::string& set_name,
        const std::map<std::string, std::string>& checksums);

/// JSON text as a value (depth-limited); "" or malformed text is null.
boost::json::value parse_json(const std::string& text,
                              boost::json::storage_ptr sp = {});

/// ID of a live object (`<cluster>` namespace when it has none).
std::string id_of(const boost::json::value& o);

} // namespace fluxd::sync
