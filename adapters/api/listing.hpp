#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "adapters/api/types.hpp"

/// list-workloads and list-images rows (Flux v1 §3.4.1, §3.4.2) from what
/// fluxd's actors hold: the cluster's workloads (their watches), the
/// workloads and policies at git's branch head, the last sync's errors and
/// the image repositories' tags. Plain values in, Go-exact wire types out.
namespace fluxd::api {

/// A workload as the cluster runs it.
struct live_workload_row {
  std::string id; ///< namespace:kind/name
  std::vector<std::pair<std::string, std::string>> containers; ///< name, image
  std::string status;
  rollout_status rollout;
  std::string antecedent;
  string_map labels;
};

/// What list-workloads needs from git.
struct git_view {
  enum class repo_state { no_repo, not_ready, ready };
  repo_state repo = repo_state::no_repo;
  bool readonly = false; ///< --git-readonly
  /// Policies (names without prefix) of every workload at the branch head.
  std::map<std::string, string_map> policies;
};

/// One row per live workload, sorted by ID; `only` (IDs) filters when not
/// empty. `sync_errors` maps IDs to the last sync's error.
std::vector<controller_status>
workload_statuses(const std::vector<live_workload_row>& live,
                  const git_view& git,
                  const std::map<std::string, std::string>& sync_errors,
                  const std::vector<std::string>& only);

/// A tag of an image repository; `created` in Unix nanoseconds, 0 unknown.
struct tag_row {
  std::string tag;
  int64_t created = 0;
};

/// A container of a workload and its image repository's tags.
struct image_row {
  std::string workload;
  std::string container;
  std::string current; ///< image as the workload spells it
  std::string pattern; ///< the container's tag filter
  bool have_data = false; ///< the repository's tags are known
  std::vector<tag_row> available; ///< every tag, any order
};

/// list-images for `spec` ("<all>" or an ID) in `ns` ("" for all), with
/// only `fields` computed (empty: all nine). Rows of one workload become
/// one ImageStatus, workloads sorted by ID.
std::vector<image_status>
image_statuses(const std::vector<image_row>& rows, const std::string& spec,
               const std::string& ns, const std::vector<std::string>& fields);

} // namespace fluxd::api
