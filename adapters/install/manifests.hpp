#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

/// Flux v1's install manifests (pkg/install) rendered from parameters, for
/// `fluxctl install` and anything else that needs them (deploy/ tooling).
namespace fluxd::install {

class parameter_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct parameters {
  std::string git_url;   ///< required
  std::string git_email; ///< required
  std::string git_branch = "master";
  std::vector<std::string> git_paths;
  std::string git_label = "flux";
  std::string git_user = "Flux";
  bool git_readonly = false;
  bool manifest_generation = false;
  std::string namespace_ = "default";
  bool registry_disable_scanning = false;
  bool add_security_context = true;
  std::string image = "docker.io/fluxcd/flux:1.25.4";
  std::string memcached_image = "memcached:1.6.9";
};

/// File name → YAML, in Flux v1's order. Without scanning the memcached
/// files are left out. Throws parameter_error for a missing URL/email.
std::vector<std::pair<std::string, std::string>> render(const parameters& p);

} // namespace fluxd::install
