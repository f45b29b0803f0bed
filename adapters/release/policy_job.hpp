#pragma once

#include "adapters/manifests/loader.hpp"
#include "adapters/release/result.hpp"
#include "adapters/release/spec.hpp"

/// The policy job (§4.4): annotation edits per workload through the
/// manifests editor.
namespace fluxd::release {

struct policy_outcome {
  result outcome;
  manifests::file_map changed; ///< only files whose bytes changed
  bool added_automated = false; ///< ask for an automation check after push
};

/// A workload missing from git is `skipped`; an invalid tag pattern or
/// `tag_all` on a resource without containers throws (the job fails).
policy_outcome apply_policies(const policy_spec& s,
                              const manifests::file_map& files,
                              const manifests::load_options& opts);

} // namespace fluxd::release
