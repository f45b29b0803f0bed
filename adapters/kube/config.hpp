#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

/// How to reach and authenticate to one API server: built from kubeconfig
/// files (as kubectl merges them) or from the in-cluster service account.
namespace fluxd::kube {

/// A client.authentication.k8s.io credential plugin (kubeconfig `exec`).
struct exec_config {
  std::string api_version; ///< client.authentication.k8s.io/v1 or v1beta1
  std::string command;     ///< absolute, on PATH, or relative to base_dir
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool provide_cluster_info = false;
  std::string base_dir; ///< directory of the kubeconfig that named it
};

struct rest_config {
  std::string server; ///< scheme://host:port, no trailing slash
  std::string ca_pem; ///< empty: the system trust store
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name; ///< name to verify instead of the host
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;
  std::string token_file; ///< re-read whenever the file changes
  std::string username;   ///< basic auth, rarely used
  std::string password;
  std::optional<exec_config> exec;
  std::string namespace_name; ///< context namespace; empty when unset
  std::string context;        ///< context used, for messages
  std::string origin;         ///< kubeconfig file(s) or "in-cluster"
  /// The namespace for namespaced objects that name none.
  std::string default_namespace() const {
    return namespace_name.empty() ? "default" : namespace_name;
  }
};

/// Where configuration is looked for. Unset optionals read the process
/// environment, so tests can pass everything explicitly.
struct config_options {
  std::string kubeconfig; ///< --kubeconfig: only this file, must exist
  std::string context;    ///< --context: overrides current-context
  std::optional<std::string> kubeconfig_env; ///< KUBECONFIG (':' list)
  std::optional<std::string> home;           ///< for ~/.kube/config
  /// In-cluster fallback: KUBERNETES_SERVICE_HOST/PORT and the files.
  std::optional<std::map<std::string, std::string>> env;
  std::string service_account_dir =
    "/var/run/secrets/kubernetes.io/serviceaccount";
};

/// The kubeconfig files kubectl would read, in merge order.
std::vector<std::string> kubeconfig_files(const config_options& opts);

/// Loads and merges kubeconfig files (first file wins per name and for
/// current-context) and resolves the chosen context. Throws config_error.
rest_config load_kubeconfig(const std::vector<std::string>& files,
                            const std::string& context = {});

/// rest.InClusterConfig: service host/port from env, token, CA and
/// namespace from the service-account directory. Throws config_error.
rest_config in_cluster_config(const config_options& opts = {});

/// Kubeconfig when there is one (explicit, KUBECONFIG, ~/.kube/config),
/// else in-cluster, as kubectl decides.
rest_config load_config(const config_options& opts = {});

/// Strict base64 (standard alphabet, whitespace ignored). Throws
/// std::invalid_argument.
std::string base64_decode(std::string_view text);
std::string base64_encode(std::string_view data);

} // namespace fluxd::kube
