#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "adapters/kube/client.hpp"
#include "adapters/manifests/loader.hpp"
#include "adapters/sync/desired.hpp"
#include "adapters/sync/revision_cache.hpp"

/// The blocking half of the sync: loading a revision's files with scopes
/// from API discovery, reading, applying and deleting objects, listing
/// what carries a gc mark, and the Secret that holds the sync marker with
/// `--sync-state=secret`. Call from detached actors only.
namespace fluxd::sync {

struct cluster_options {
  std::string set_name; ///< sync_set_name() of this repository
  std::vector<std::string> paths; ///< --git-path
  std::string default_namespace;  ///< "" → the kubeconfig's, else default
  std::vector<std::string> allow_namespaces;
  std::string field_manager = "fluxd";
  std::string secret_namespace; ///< for --sync-state=secret
  std::string secret_name = "flux-git-deploy";
  /// --k8s-unsafe-exclude-resource: globs over `<groupVersion>/<Kind>`
  /// of kinds never listed or watched (so never garbage collected).
  std::vector<std::string> exclude_resources = {
    "*metrics.k8s.io/*", "webhook.certmanager.k8s.io/*", "v1/Event"};
  /// Shared with the automation, so a file is parsed once for both; made
  /// for `set_name` (else, or when null, the cluster_ops makes its own).
  std::shared_ptr<revision_cache> cache;
};

class cluster_ops {
public:
  cluster_ops(kube::client& client, cluster_options opts);

  /// Loads the files (a broken file is one error, the rest load), parsing
  /// only those that changed since the previous call. Throws kube errors
  /// when discovery itself fails.
  prepared prepare(const manifests::file_map& files);

  cache_stats prepare_stats() const { return cache_->stats(); }

  /// The live object, nullopt when it does not exist.
  std::optional<boost::json::value> get(const std::string& api_version,
                                        const std::string& kind,
                                        const std::string& ns,
                                        const std::string& name);

  /// Server-side apply, forced (git wins over other managers). Applying a
  /// CRD refreshes discovery so its kinds resolve.
  boost::json::value apply(const boost::json::value& object);
  /// The same for an object printed as JSON; returns the server's text.
  std::string apply_text(const kube::object_ref& ref, std::string object);

  /// Deletes (background propagation); with dry only checks existence.
  /// False when it was already gone.
  bool remove(const marked_object& o, bool dry);

  /// Every listable object with the gc-mark label, in the allowed
  /// namespaces (cluster-scoped kinds in full).
  std::vector<marked_object> scan_marked();

  /// The revision in the marker Secret's annotation; writes `revision`
  /// first unless it is empty or already there.
  std::string secret_marker(const std::string& revision);

  const cluster_options& options() const { return opts_; }

private:
  kube::client& client_;
  cluster_options opts_;
  std::shared_ptr<revision_cache> cache_;
};

/// True for kinds fluxd neither lists nor watches: those matching one of
/// `globs` (Flux v1's --k8s-unsafe-exclude-resource: `<groupVersion>/<Kind>`,
/// or `<groupVersion>/` for a whole group-version, shell wildcards), and
/// v1 ComponentStatus and Endpoints, which Flux v1 never lists.
bool excluded_kind(const std::vector<std::string>& globs,
                   const std::string& api_version, const std::string& kind);

} // namespace fluxd::sync
