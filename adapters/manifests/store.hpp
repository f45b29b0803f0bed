#pragma once

#include <map>
#include <string>
#include <vector>

#include "adapters/image/ref.hpp"
#include "adapters/manifests/generator.hpp"
#include "adapters/manifests/loader.hpp"
#include "adapters/manifests/policy.hpp"

/// The manifests of one checkout (Flux v1's manifest store): plain YAML
/// files under the git paths, or with manifest generation the `.flux.yaml`
/// of each path; and updates written back where each resource came from —
/// the file in place, the commandUpdated updaters, or the patchUpdated
/// patch file.
namespace fluxd::manifests {

struct store_options {
  std::vector<std::string> git_paths; ///< empty: the repository root
  bool manifest_generation = false;   ///< `--manifest-generation`
  /// Default timeout and output cap for commands (root is set by the store).
  generation_context commands;
  /// Namespaces, scope and limits (its `paths` are ignored).
  load_options load;
};

/// Where a resource is defined.
struct origin {
  enum class kind { file, command_updated, patch_updated };
  kind how = kind::file;
  std::string file; ///< the YAML file, or the config's source name
  config_location where;
  flux_config config;
};

struct store_contents {
  load_result loaded;
  std::map<std::string, origin> origins; ///< by resource ID
  /// Generator or config failures, by git path (those paths load nothing).
  std::vector<file_problem> generation_errors;
};

class manifest_store {
public:
  manifest_store(std::string root, store_options opts);

  /// Reads every git path (running generators); never throws for one bad
  /// file or generator: see the errors in the result.
  store_contents load() const;

  /// Sets a container's image. Returns whether anything was changed (the
  /// commandUpdated updaters always count as a change, as in Flux v1).
  /// Throws manifest_error / edit_error / command_error.
  bool set_image(const std::string& id, const std::string& container,
                 const image::ref& new_ref) const;

  /// Applies a policy update (§4.4) to where the resource is defined.
  bool update_policies(const std::string& id,
                       const policy_update& update) const;

private:
  std::string root_;
  store_options opts_;
};

} // namespace fluxd::manifests
