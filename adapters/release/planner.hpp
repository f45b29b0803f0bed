#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "adapters/image/ref.hpp"
#include "adapters/image/tag_filter.hpp"
#include "adapters/manifests/loader.hpp"
#include "adapters/release/result.hpp"
#include "adapters/release/spec.hpp"

/// Release planning (§9.2-9.5): which workloads a spec selects, which
/// containers move to which image, and the per-workload results with Flux
/// v1's statuses and texts. Pure: the caller supplies git's manifests, what
/// the image repositories hold and (optionally) what the cluster runs.
namespace fluxd::release {

/// The whole release fails (`invalid image ID: …`, `cannot satisfy specs`,
/// `no changes found`, `failed to verify changes: …`).
class release_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// What an image repository holds, as its image_repo reported it.
struct repo_images {
  std::vector<std::string> tags;
  /// Creation times of tags whose metadata is known (the epoch when the
  /// registry did not say). Orderings by time need an entry per tag.
  std::map<std::string, std::chrono::system_clock::time_point> created;
};

/// By canonical repository name (`index.docker.io/library/alpine`).
using image_index = std::map<std::string, repo_images>;

/// A workload as the cluster runs it.
struct running_workload {
  std::vector<std::pair<std::string, std::string>> containers; ///< name, image
  manifests::annotation_map annotations;
};
using cluster_view = std::map<std::string, running_workload>;

struct release_inputs {
  const manifests::load_result* git = nullptr;
  const image_index* images = nullptr;
  /// Null: every workload in git counts as running what git says (fluxd
  /// computes from git, so a release never races a sync).
  const cluster_view* cluster = nullptr;
};

/// The container changes of one workload, and where it is written.
struct workload_update {
  std::string id;
  std::string file;
  std::vector<container_update> containers;
};

struct release_plan {
  result outcome;
  std::vector<workload_update> updates;
};

/// Why no newest tag was found.
enum class latest_problem { none, no_tags, missing_metadata, zero_created };

struct latest_tag {
  std::optional<image::candidate> newest; ///< the current spelling + tag
  latest_problem problem = latest_problem::none;
  std::string missing_tag; ///< the admitted tag without metadata
};

/// The newest tag of `repo` allowed by `filter`, spelled like `current`.
/// Orderings by time need metadata for every admitted tag.
latest_tag newest_allowed(const repo_images& repo, const image::ref& current,
                          const image::tag_filter& filter);

release_plan plan_image_release(const image_spec& s, const release_inputs& in);
/// Throws release_error `cannot satisfy specs` / `no changes found`.
release_plan plan_containers_release(const containers_spec& s,
                                     const release_inputs& in);
release_plan plan_auto_release(const auto_spec& s, const release_inputs& in);

/// Writes the updates into `files` (path → content) with the manifests
/// editor, then re-loads the changed files and checks every container holds
/// its target (throws release_error `failed to verify changes: …`).
/// Returns only the files whose bytes changed.
manifests::file_map apply_updates(const manifests::file_map& files,
                                  const std::vector<workload_update>& updates,
                                  const manifests::load_options& opts);

} // namespace fluxd::release
