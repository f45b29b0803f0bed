#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "adapters/image/ref.hpp"
#include "adapters/manifests/command.hpp"
#include "adapters/manifests/resource.hpp"

/// Manifest generation with `.flux.yaml` (Flux v1 §8): finding the config
/// for a git path, validating it, running generators, and the
/// commandUpdated updaters with the environment Flux v1 gives them.
namespace fluxd::manifests {

/// `cannot parse config file: …` / `config file is not valid: …`.
class config_error : public manifest_error {
public:
  using manifest_error::manifest_error;
};

/// Go's time.ParseDuration (`30s`, `1m30s`, `1.5h`, `300ms`); nullopt when
/// invalid.
std::optional<std::chrono::nanoseconds> parse_go_duration(
  const std::string& text);

struct command_config {
  std::string command;
  std::optional<std::chrono::nanoseconds> timeout;
};

struct updater_config {
  std::optional<command_config> container_image;
  std::optional<command_config> policy;
};

struct flux_config {
  enum class kind { command_updated, patch_updated, scan_for_files };
  kind mode = kind::scan_for_files;
  std::vector<command_config> generators;
  std::vector<updater_config> updaters; ///< commandUpdated
  std::string patch_file;               ///< patchUpdated
};

/// Parses and validates (schema §8.2: version 1, exactly one mode, no
/// extra keys, timeouts as duration strings). `file` names it in errors.
flux_config parse_flux_config(const std::string& text,
                              const std::string& file);

/// Where a git path's config is (paths relative to the repository root).
struct config_location {
  std::string config_file; ///< e.g. `.flux.yaml`, `envs/.flux.yaml`
  std::string working_dir; ///< the git path itself (commands run here)
  /// `<gitpath>/<relative path to the config>`, the Source of generated
  /// resources (e.g. `staging/../.flux.yaml`).
  std::string source;
};

/// Looks for `.flux.yaml` at `git_path` (a directory, or the file itself)
/// and then in each parent up to `root`; nullopt when there is none.
std::optional<config_location> find_flux_config(const std::string& root,
                                                const std::string& git_path);

/// How commands run: the root of the checkout, the default timeout (Flux's
/// --sync-timeout, used when a command's own is under 1 s) and limits.
struct generation_context {
  std::string root;
  std::chrono::milliseconds default_timeout{60'000};
  std::size_t max_output = 32u << 20;
};

/// Runs the generators in order and joins their output into one multi-doc
/// stream. Throws command_error `error executing generator command …`.
std::string run_generators(const flux_config& cfg,
                           const config_location& where,
                           const generation_context& ctx);

/// Runs every `containerImage` updater with FLUX_WORKLOAD, FLUX_WL_NS,
/// FLUX_WL_KIND, FLUX_WL_NAME, FLUX_CONTAINER, FLUX_IMG, FLUX_TAG (and
/// PATH only). Throws when none is configured or one fails.
void run_image_updaters(const flux_config& cfg, const config_location& where,
                        const generation_context& ctx, const std::string& id,
                        const std::string& container,
                        const image::ref& new_ref);

/// Runs every `policy` updater with FLUX_POLICY and FLUX_POLICY_VALUE
/// (absent when the policy is removed).
void run_policy_updaters(const flux_config& cfg, const config_location& where,
                         const generation_context& ctx, const std::string& id,
                         const std::string& policy,
                         const std::optional<std::string>& value);

} // namespace fluxd::manifests
