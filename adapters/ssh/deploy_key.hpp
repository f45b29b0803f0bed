#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "adapters/api/types.hpp"
#include "adapters/ssh/keys.hpp"

namespace fluxd::config {
struct daemon_config;
}
namespace fluxd::kube {
class client;
}

/// The git deploy key, as Flux v1 keeps it: in the Secret
/// [--k8s-secret-name] under [--k8s-secret-data-key], mounted at
/// [--k8s-secret-volume-mount-path]; generated and stored when the Secret
/// holds none, regenerated on `fluxctl identity --regenerate`.
namespace fluxd::ssh {

struct deploy_key_options {
  std::string secret_namespace = "default";
  std::string secret_name = "flux-git-deploy";
  std::string data_key = "identity";
  std::string mount_path = "/etc/fluxd/ssh";
  /// Where generated keys are written; empty: the mount path (Flux v1
  /// does the same, with a warning: the mount is usually read-only).
  std::string keygen_dir;
  key_spec spec;
};

/// From fluxd's flags; `secret_namespace` is fluxd's own namespace.
deploy_key_options deploy_key_options_of(const config::daemon_config& flags,
                                         const std::string& secret_namespace);

/// Flux v1's ssh.PublicKey: the key line and md5/sha256 fingerprints.
api::public_key public_key_of(const key_pair& key);

/// Thread-safe holder of the current deploy key. Blocking (Kubernetes
/// requests): call from a detached actor or at start.
class deploy_keyring {
public:
  deploy_keyring(deploy_key_options opts,
                 std::shared_ptr<kube::client> cluster);

  /// The mounted key if there is one, else the Secret's, else a new key
  /// stored into the Secret. Writes it where private_key_path() says.
  /// Throws key_error or kube errors naming the Secret.
  void start();

  /// A new key: stored into the Secret first, then written to the file git
  /// reads. Returns its public key.
  api::public_key regenerate();

  api::public_key public_key() const;

  /// The file git authenticates with: the mounted key when present, else
  /// <keygen dir or mount path>/identity (git_mirror's deploy_key_path).
  std::string private_key_path() const;

private:
  std::string mounted() const;
  std::string generated_path() const;
  void store_in_secret(const key_pair& key);
  void install(const key_pair& key, const std::string& path);

  deploy_key_options opts_;
  std::shared_ptr<kube::client> cluster_;
  mutable std::mutex mutex_;
  key_pair key_;
  std::string path_;
  bool started_ = false;
};

/// fluxd's startup step: nullptr when git needs no SSH key (no --git-url,
/// or an http(s)/git/file URL), else a started keyring. Uses the Kubernetes
/// configuration --kubeconfig names (in-cluster otherwise); throws when
/// the key cannot be read, generated or stored.
std::shared_ptr<deploy_keyring>
start_deploy_keyring(const config::daemon_config& flags);

} // namespace fluxd::ssh
