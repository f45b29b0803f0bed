#pragma once

#include <string>
#include <vector>

#include "adapters/image/ref.hpp"
#include "adapters/manifests/loader.hpp"

namespace fluxd::manifests {

/// One container image change a release or automation intends.
struct image_update {
  std::string id;
  std::string container;
  image::ref target;
};

/// The release check of Flux v1 (§9.3): after writing, the re-loaded
/// manifests must hold the same resource IDs, every workload the same
/// containers in the same order, and every image as intended. Throws
/// edit_error `failed to verify changes: …`.
void verify_updates(const load_result& before, const load_result& after,
                    const std::vector<image_update>& updates);

} // namespace fluxd::manifests
