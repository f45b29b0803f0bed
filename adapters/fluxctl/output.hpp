#pragma once

#include <string>
#include <vector>

#include "adapters/api/types.hpp"

/// fluxctl's printed tables, byte-exact with Flux v1 (§2.2, §2.3, §13.7).
namespace fluxd::fluxctl {

/// An image ref split as Flux's image.Ref.Components(): domain (empty for
/// Docker Hub refs written without one), repository path and tag.
struct ref_parts {
  std::string domain;
  std::string image;
  std::string tag;
};
ref_parts split_ref(const std::string& ref);

/// `list-workloads` (tab format). `workloads` are sorted by ID here.
std::string list_workloads_table(std::vector<api::controller_status> workloads,
                                 bool headers);

/// `list-images` (tab format), `limit` images per container (0: all).
std::string list_images_table(std::vector<api::image_status> images, int limit,
                              bool headers);

/// The result table of release/policy jobs; `verbosity` 0 hides skipped
/// and ignored workloads, 1 shows skipped, 2 both.
std::string result_table(const api::update_result& result, int verbosity);

/// One `release --watch` round: WORKLOAD CONTAINER IMAGE RELEASE REPLICAS.
std::string rollout_table(const std::vector<api::controller_status>& ws,
                          bool verbose);

} // namespace fluxd::fluxctl
