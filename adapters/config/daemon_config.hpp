#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "adapters/config/duration.hpp"
#include "adapters/config/flag_set.hpp"

namespace fluxd::config {

using namespace std::chrono_literals;

/// Every fluxd flag, typed. Names and defaults follow Flux v1's daemon
/// (flux-v1-reference §1); fluxd's own additions are marked.
struct daemon_config {
  // -- general, HTTP, logging ------------------------------------------------
  std::string listen = ":3030";
  std::string listen_metrics;
  std::string log_format = "fmt";
  std::string log_level = "info"; ///< fluxd
  std::string kubernetes_kubectl;
  bool version = false;
  int k8s_verbosity = 0;
  std::string kube_config; ///< deprecated in Flux v1: use KUBECONFIG
  std::string state_dir = "/var/lib/fluxd";      ///< fluxd
  std::string api_token_file;                    ///< fluxd
  std::vector<std::string> notify_webhook;       ///< fluxd
  std::string notify_webhook_secret_file;        ///< fluxd
  std::string webhook_secret_file;               ///< fluxd: git/registry hooks

  // -- git -------------------------------------------------------------------
  std::string git_url;
  std::string git_branch = "master";
  std::vector<std::string> git_path;
  bool git_readonly = false;
  std::string git_user = "Weave Flux";
  std::string git_email = "support@weave.works";
  bool git_set_author = false;
  std::string git_label;
  std::string git_sync_tag = "flux-sync";
  std::string git_notes_ref = "flux";
  bool git_ci_skip = false;
  std::string git_ci_skip_message;
  duration git_poll_interval = 5min;
  duration git_timeout = 20s;
  bool git_secret = false;
  bool sops = false;
  std::string git_known_hosts;       ///< fluxd: default $HOME/.ssh/known_hosts
  std::string git_credentials_file;  ///< fluxd: https user/token

  // -- gpg -------------------------------------------------------------------
  std::vector<std::string> git_gpg_key_import;
  std::string git_signing_key;
  bool git_verify_signatures = false;
  std::string git_verify_signatures_mode;

  // -- sync ------------------------------------------------------------------
  duration sync_interval = 5min;
  duration sync_timeout = 1min;
  bool sync_garbage_collection = false;
  bool sync_garbage_collection_dry = false;
  std::string sync_state = "git";

  // -- registry --------------------------------------------------------------
  bool registry_disable_scanning = false;
  duration automation_interval = 5min;
  duration registry_poll_interval = 5min;
  double registry_rps = 50;
  int registry_burst = 10;
  bool registry_trace = false;
  std::vector<std::string> registry_insecure_host;
  std::vector<std::string> registry_exclude_image = {"k8s.gcr.io/*"};
  std::vector<std::string> registry_include_image;
  std::vector<std::string> registry_use_labels
    = {"index.docker.io/weaveworks/*", "index.docker.io/fluxcd/*"};
  std::vector<std::string> registry_ecr_region;
  std::vector<std::string> registry_ecr_include_id;
  std::vector<std::string> registry_ecr_exclude_id
    = {"602401143452", "918309763551"};
  std::vector<std::string> registry_require;
  std::string docker_config;
  duration registry_cache_expiry = duration{0};
  std::string registry_platform = "linux/amd64";    ///< fluxd
  int registry_concurrency = 4;                     ///< fluxd: per host
  duration automation_batch_window = 2s;            ///< fluxd

  // -- memcached (optional in fluxd) ------------------------------------------
  std::string memcached_hostname = "memcached";
  int memcached_port = 11211;
  std::string memcached_service = "memcached";
  duration memcached_timeout = 1s;

  // -- kubernetes -----------------------------------------------------------------
  std::string k8s_secret_name = "flux-git-deploy";
  std::string k8s_secret_volume_mount_path = "/etc/fluxd/ssh";
  std::string k8s_secret_data_key = "identity";
  bool k8s_in_cluster = true;
  std::vector<std::string> k8s_allow_namespace;
  std::vector<std::string> k8s_namespace_whitelist;
  std::string k8s_default_namespace;
  std::vector<std::string> k8s_unsafe_exclude_resource
    = {"*metrics.k8s.io/*", "webhook.certmanager.k8s.io/*", "v1/Event"};
  double k8s_qps = 50;  ///< fluxd (Flux v1 hard-coded 50)
  int k8s_burst = 100;  ///< fluxd (Flux v1 hard-coded 100)

  // -- ssh keygen ------------------------------------------------------------------
  std::string ssh_keygen_dir;
  int ssh_keygen_bits = 0;
  std::string ssh_keygen_type;
  std::string ssh_keygen_format;

  // -- manifest generation ----------------------------------------------------------
  bool manifest_generation = false;

  // -- upstream (legacy) ---------------------------------------------------------------
  std::string connect;
  std::string token;
  duration rpc_timeout = 10s;
};

/// Registers every flag of `cfg` with `flags` (the single flag table used by
/// the parser, `--help` and the generated configuration reference).
void register_flags(flag_set& flags, daemon_config& cfg);

/// The outcome of parsing fluxd's command line.
struct parse_result {
  daemon_config config;
  bool show_help = false;
  std::string usage;
  std::vector<std::string> warnings; ///< deprecations and ignored flags
};

/// Parses argv (without argv[0]), then applies Flux v1's derived rules and
/// validation. Throws flag_error with a message naming the flag on bad input.
parse_result parse_daemon_args(const std::vector<std::string>& args);

/// The generated Markdown reference of all flags (docs/configuration.md).
std::string flags_reference_markdown();

} // namespace fluxd::config
