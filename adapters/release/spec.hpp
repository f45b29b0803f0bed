#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

#include "adapters/manifests/policy.hpp"

/// Flux v1's update.Spec (§3.4.5): what a job is asked to do. The JSON form
/// is the HTTP body of update-manifests and the `spec` of job notes.
namespace fluxd::release {

/// A spec that cannot be decoded; the message names the field at fault.
class spec_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// `ServiceSpecs` value meaning every workload.
inline constexpr const char* all_workloads = "<all>";
/// `ImageSpec` value meaning the newest allowed tag of every image.
inline constexpr const char* all_latest = "<all latest>";

enum class release_kind { plan, execute };

struct cause {
  std::string message;
  std::string user; ///< `Name <email>`; the author with --git-set-author
};

/// `image` (ReleaseImageSpec).
struct image_spec {
  std::vector<std::string> workloads; ///< IDs or `<all>`
  std::string image;                  ///< ref with a tag, or `<all latest>`
  release_kind kind = release_kind::plan;
  std::vector<std::string> excludes;
  bool force = false;

  bool all() const;          ///< `<all>` anywhere in workloads
  bool latest() const;       ///< image is `<all latest>`
};

/// One explicit container change of a `containers` spec.
struct container_spec {
  std::string container;
  std::string current; ///< may be empty: no check
  std::string target;
};

/// `containers` (ReleaseContainersSpec).
struct containers_spec {
  release_kind kind = release_kind::plan;
  bool skip_mismatches = false;
  bool force = false;
  std::map<std::string, std::vector<container_spec>> containers; ///< by ID
};

/// `policy`: per workload ID, policies to add and to remove.
using policy_spec = std::map<std::string, manifests::policy_update>;

/// One change computed by the automation check.
struct auto_change {
  std::string workload;
  std::string container;
  std::string current; ///< the container's image when the change was found
  std::string image;   ///< the new ref
};

/// `auto` (Automated): sent by the daemon to itself.
struct auto_spec {
  std::vector<auto_change> changes;
};

/// `sync` (ManualSync).
struct sync_spec {};

struct update_spec {
  cause why;
  std::variant<image_spec, containers_spec, policy_spec, auto_spec, sync_spec>
    spec;

  /// `image`, `containers`, `policy`, `auto` or `sync`.
  std::string type() const;
  /// Releases of kind plan run at once and never commit.
  bool is_plan() const;
};

boost::json::value to_json(const update_spec& s);
/// Throws spec_error (`unknown spec type: <x>`, or the bad field).
update_spec spec_from_json(const boost::json::value& v);
update_spec parse_spec(std::string_view json_text);
std::string serialize(const update_spec& s);

/// Flux v1's ParseImageSpec: `<all latest>` or a ref with a tag; throws
/// spec_error for `:tag`, `image:`, `image` or `<anything else>`.
void check_image_spec(const std::string& text);

} // namespace fluxd::release
