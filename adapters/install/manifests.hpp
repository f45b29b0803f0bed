#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// `fluxctl install`'s manifests: deploy/base (embedded at build time by
/// embed_deploy.cmake) with Flux v1's install flags substituted, so the
/// renderer and `kubectl apply -k deploy/base` cannot disagree.
namespace fluxd::install {

class parameter_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// deploy/base is not what the renderer expects (a file the kustomization
/// lists is missing, no Deployment, YAML that does not parse).
class template_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Flux v1's `fluxctl install` flags, with its defaults.
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
  /// false drops the pod's and containers' securityContext.
  bool add_security_context = true;
};

/// One file of deploy/base: its name and its bytes.
struct base_file {
  std::string_view name;
  std::string_view text;
};

/// deploy/base as it was when fluxd was built (generated deploy_base.cpp).
std::vector<base_file> embedded_base();

/// File name → YAML, one file per resource of deploy/base's kustomization,
/// in its order, numbered ("01-namespace.yaml"). The Namespace is left out for
/// "default" (it always exists). Throws parameter_error for a missing
/// URL/email, template_error when `base` is not a kustomization the renderer
/// understands.
std::vector<std::pair<std::string, std::string>>
render(const parameters& p, const std::vector<base_file>& base);

inline std::vector<std::pair<std::string, std::string>>
render(const parameters& p) {
  return render(p, embedded_base());
}

} // namespace fluxd::install
