#pragma once

#include <map>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

/// Per-workload outcomes of a release, policy or automation job (Flux v1's
/// update.Result, §3.4.6 and the fixed texts of §9.4).
namespace fluxd::release {

enum class workload_status { success, failed, skipped, ignored, unknown };

std::string to_string(workload_status s);
/// Throws spec_error for an unknown status text.
workload_status status_from_string(const std::string& s);

/// Flux v1's fixed result texts (§9.4); clients match on them.
namespace text {
inline constexpr const char* locked = "locked";
inline constexpr const char* ignore = "ignore";
inline constexpr const char* not_included = "not included";
inline constexpr const char* excluded = "excluded";
inline constexpr const char* different_image = "a different image";
inline constexpr const char* not_in_cluster = "not accessible in cluster";
inline constexpr const char* not_in_repo = "not found in repository";
inline constexpr const char* image_not_found = "cannot find one or more images";
inline constexpr const char* up_to_date = "image(s) up to date";
inline constexpr const char* does_not_use = "does not use image(s)";
inline constexpr const char* containers_not_found = "container(s) not found: ";
inline constexpr const char* tag_mismatch = "container(s) tag mismatch: ";
} // namespace text

/// One container's change: full refs as the manifest spells them.
struct container_update {
  std::string container;
  std::string current;
  std::string target;
  bool operator==(const container_update& o) const {
    return container == o.container && current == o.current &&
           target == o.target;
  }
};

struct workload_result {
  workload_status status = workload_status::unknown;
  std::string error;
  std::vector<container_update> per_container;
};

/// By workload ID.
using result = std::map<std::string, workload_result>;

/// Flux v1's Result.Error(): "" when nothing failed, `<id> failed: <err>`
/// for one failure, `Multiple workloads failed: <id>, <id>` otherwise.
std::string error_summary(const result& r);

/// Target refs of successful updates, unique and sorted as strings.
std::vector<std::string> changed_images(const result& r);

/// IDs whose status is success.
std::vector<std::string> affected(const result& r);

boost::json::value to_json(const result& r);
result result_from_json(const boost::json::value& v);

} // namespace fluxd::release
