#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include <yaml-cpp/yaml.h>

/// Kubernetes resources as fluxd reads them from git: identity
/// (`namespace:kind/name`), scope, and where in which file they came from.
namespace fluxd::manifests {

/// Any manifest problem; the message names the file (and line) at fault.
class manifest_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The ID namespace of cluster-scoped resources.
inline constexpr const char* cluster_scope = "<cluster>";

/// `namespace:kind/name` with the kind lower-cased, as Flux v1's resource.ID.
std::string make_id(const std::string& ns, const std::string& kind,
                    const std::string& name);

struct parsed_id {
  std::string ns; ///< `<cluster>` for cluster-scoped
  std::string kind;
  std::string name;
};
/// Throws manifest_error for text that is not `ns:kind/name`.
parsed_id parse_id(const std::string& id);

/// Whether a kind is namespaced: true, false, or nullopt when unknown. The
/// kube adapter feeds API discovery in here; default_scope() is the table
/// of built-in kinds used without a cluster.
using scope_fn = std::function<std::optional<bool>(
  const std::string& api_version, const std::string& kind)>;
std::optional<bool> default_scope(const std::string& api_version,
                                  const std::string& kind);

struct resource {
  resource() = default;
  resource(const resource&) = default;
  /// Rebinds `node`: yaml-cpp's Node::operator= would instead write the
  /// other tree into the one this resource shares with its parsed file.
  resource& operator=(const resource& other);

  std::string id; ///< with the effective namespace
  std::string api_version;
  std::string kind; ///< as written
  std::string name;
  std::string ns;          ///< effective namespace; empty if cluster-scoped
  std::string written_ns;  ///< `metadata.namespace` as written (may be empty)
  std::string source;      ///< file path relative to the repository root
  int line = 0;            ///< 1-based line of the object in the file
  YAML::Node node;         ///< the object (shared with the parsed file)
  std::map<std::string, std::string> annotations;

  bool cluster_scoped() const { return ns.empty(); }
};

/// Lower-case ASCII.
std::string lower(std::string s);

} // namespace fluxd::manifests
