#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "adapters/manifests/loader.hpp"
#include "adapters/manifests/policy.hpp"
#include "adapters/release/planner.hpp"
#include "adapters/release/spec.hpp"
#include "adapters/sync/revision_cache.hpp"

/// The automation decision (§9.2): for automated workloads that are neither
/// locked nor ignored, the newest tag each container's filter allows,
/// compared with what git has. Unlike Flux v1 the current image is read
/// from git, not the cluster, so a change is never computed twice.
namespace fluxd::release {

/// A container of an automated workload, and the filter it follows.
struct automated_container {
  std::string workload;
  std::string container;
  image::ref current;
  std::string pattern;
};

/// A container of a workload in git (name and image).
using summary_container = sync::named_image;

/// What the automation keeps of a workload in git: a load's YAML trees
/// hold ~4 KB per resource, this a few hundred bytes.
struct workload_summary {
  std::string id;
  manifests::policy_set policies;
  std::vector<summary_container> containers;
};

/// The workloads of a load, by ID.
struct git_summary {
  std::vector<workload_summary> workloads;
  std::size_t resources = 0; ///< every resource loaded
};

/// Summarises `git` (its containers' images parsed once, here).
git_summary summarize(const manifests::load_result& git);
/// The same from the files, as load() reads them, holding one file's YAML
/// tree at a time instead of the whole repository's.
git_summary summarize(const manifests::file_map& files,
                      const manifests::load_options& opts);
/// The same from a cache shared with the sync: a file it holds is not
/// parsed again, nor one that the sync is parsing (this waits for it).
git_summary summarize(sync::revision_cache& cache,
                      const manifests::file_map& files,
                      const manifests::load_options& opts);

/// Every container of every automated, unlocked, not ignored workload.
std::vector<automated_container>
automated_containers(const std::vector<workload_summary>& workloads);
std::vector<automated_container>
automated_containers(const manifests::load_result& git);

/// Canonical repositories those containers use.
std::set<std::string>
automated_repositories(const std::vector<automated_container>& cs);

struct automation_check {
  auto_spec changes;
  std::vector<std::string> warnings; ///< why containers were passed over
};

/// The newest tag a filter allows, by canonical repository and pattern.
/// It depends on nothing else, so a caller may keep it between checks and
/// drop a repository's entries when its images change (forget()).
struct newest_cache {
  std::map<std::pair<std::string, std::string>, latest_tag> by_filter;
  void forget(const std::string& repository);
};

/// Changes for containers whose newest allowed tag differs from git's.
/// A repository missing from `images` counts as empty.
automation_check calculate_changes(const std::vector<automated_container>& cs,
                                   const image_index& images);
/// The same, reusing (and filling) `known` for what did not change.
automation_check calculate_changes(const std::vector<automated_container>& cs,
                                   const image_index& images,
                                   newest_cache& known);

} // namespace fluxd::release
