#include "adapters/config/daemon_config.hpp"

#include <algorithm>
#include <sstream>

namespace fluxd::config {

namespace {

constexpr const char* general = "General";
constexpr const char* git = "Git";
constexpr const char* gpg = "GPG signing and verification";
constexpr const char* sync = "Sync";
constexpr const char* registry = "Registry scanning and automation";
constexpr const char* memcached = "Memcached (optional; fluxd caches on disk)";
constexpr const char* kube = "Kubernetes";
constexpr const char* keygen = "SSH key generation";
constexpr const char* generation = "Manifest generation";
constexpr const char* upstream = "Upstream (legacy, Weave Cloud)";

} // namespace

void register_flags(flag_set& f, daemon_config& c) {
  // -- general -----------------------------------------------------------------
  f.add_string("listen", c.listen, general,
               "listen address where /metrics and API will be served", 'l');
  f.add_string("listen-metrics", c.listen_metrics, general,
               "listen address for /metrics endpoint");
  f.add_string("log-format", c.log_format, general,
               "change the log format (fmt or json)");
  f.add_string("log-level", c.log_level, general,
               "minimum level logged: debug, info, warn or error");
  f.add_string("kubernetes-kubectl", c.kubernetes_kubectl, general,
               "accepted for compatibility; fluxd talks to the API directly");
  f.add_bool("version", c.version, general,
             "get version number");
  f.add_int("k8s-verbosity", c.k8s_verbosity, general,
            "klog verbosity level (accepted for compatibility)");
  f.add_string("kube-config", c.kube_config, general,
               "the absolute path of the k8s config file");
  f.deprecate("kube-config", "use KUBECONFIG");
  f.add_string("state-dir", c.state_dir, general,
               "directory for fluxd's persistent state (image metadata "
               "cache, job records)");
  f.add_string("api-token-file", c.api_token_file, general,
               "file holding a bearer token the HTTP API requires; without "
               "it the API is open and should stay on loopback");
  f.add_list("notify-webhook", c.notify_webhook, general,
             "URL to POST events to (Slack-compatible or generic JSON); "
             "repeatable");
  f.add_string("notify-webhook-secret-file", c.notify_webhook_secret_file,
               general, "file with the HMAC key for signing outgoing events");
  f.add_string("webhook-secret-file", c.webhook_secret_file, general,
               "file with the shared secret that incoming git and registry "
               "webhooks are verified with");

  // -- git ------------------------------------------------------------------------
  f.add_string("git-url", c.git_url, git,
               "URL of git repo with Kubernetes manifests; e.g., "
               "git@github.com:fluxcd/flux-get-started");
  f.add_string("git-branch", c.git_branch, git,
               "branch of git repo to use for Kubernetes manifests");
  f.add_list("git-path", c.git_path, git,
             "relative paths within the git repo to locate Kubernetes "
             "manifests");
  f.add_bool("git-readonly", c.git_readonly, git,
             "use to prevent Flux from pushing changes to git; implies "
             "--sync-state=secret");
  f.add_string("git-user", c.git_user, git,
               "username to use as git committer");
  f.add_string("git-email", c.git_email, git,
               "email to use as git committer");
  f.add_bool("git-set-author", c.git_set_author, git,
             "if set, the author of git commits will reflect the user who "
             "initiated the commit and will differ from the git committer");
  f.add_string("git-label", c.git_label, git,
               "label to keep track of sync progress; overrides both "
               "--git-sync-tag and --git-notes-ref");
  f.add_string("git-sync-tag", c.git_sync_tag, git,
               "tag to use to mark sync progress for this cluster");
  f.add_string("git-notes-ref", c.git_notes_ref, git,
               "ref to use for keeping commit annotations in git notes");
  f.add_bool("git-ci-skip", c.git_ci_skip, git,
             "append \"[ci skip]\" to commit messages so that CI will skip "
             "builds");
  f.add_string("git-ci-skip-message", c.git_ci_skip_message, git,
               "additional text for commit messages, useful for skipping "
               "builds in CI. Use this to supply specific text, or set "
               "--git-ci-skip");
  f.add_duration("git-poll-interval", c.git_poll_interval, git,
                 "period at which to poll git repo for new commits");
  f.add_duration("git-timeout", c.git_timeout, git,
                 "duration after which git operations time out");
  f.add_bool("git-secret", c.git_secret, git,
             "if set, git-secret will be run on every git checkout. A gpg "
             "key must be imported using --git-gpg-key-import or by "
             "mounting a keyring containing it directly");
  f.add_bool("sops", c.sops, git,
             "if set, decrypt SOPS-encrypted manifest files with before "
             "syncing them");
  f.add_string("git-known-hosts", c.git_known_hosts, git,
               "known_hosts file for strict SSH host-key checking (default "
               "$HOME/.ssh/known_hosts)");
  f.add_string("git-credentials-file", c.git_credentials_file, git,
               "file with \"user:token\" for https git URLs");

  // -- gpg ------------------------------------------------------------------------
  f.add_list("git-gpg-key-import", c.git_gpg_key_import, gpg,
             "keys to import into GPG keyring for signing and verification; "
             "files or directories (not recursed)");
  f.add_string("git-signing-key", c.git_signing_key, gpg,
               "if set, commits Flux makes will be signed with this GPG key");
  f.add_bool("git-verify-signatures", c.git_verify_signatures, gpg,
             "if set, the signature of commits will be verified before Flux "
             "applies them");
  f.deprecate("git-verify-signatures", "use --git-verify-signatures-mode");
  f.add_string("git-verify-signatures-mode", c.git_verify_signatures_mode, gpg,
               "signature verification mode: none, all or first-parent");

  // -- sync -----------------------------------------------------------------------
  f.add_duration("sync-interval", c.sync_interval, sync,
                 "apply config in git to cluster at least this often, even "
                 "if there are no new commits");
  f.add_duration("sync-timeout", c.sync_timeout, sync,
                 "duration after which sync operations time out");
  f.add_bool("sync-garbage-collection", c.sync_garbage_collection, sync,
             "delete resources that were created by fluxd, but are no longer "
             "in the git repo");
  f.add_bool("sync-garbage-collection-dry", c.sync_garbage_collection_dry,
             sync,
             "only log what would be garbage collected, rather than deleting");
  f.add_string("sync-state", c.sync_state, sync,
               "method used by flux for storing state: git or secret");

  // -- registry -------------------------------------------------------------------
  f.add_bool("registry-disable-scanning", c.registry_disable_scanning,
             registry, "do not scan container image registries to fill in "
                       "the registry cache");
  f.add_duration("automation-interval", c.automation_interval, registry,
                 "period at which to check for image updates for automated "
                 "workloads");
  f.add_duration("registry-poll-interval", c.registry_poll_interval, registry,
                 "period at which to check for updated images");
  f.deprecate("registry-poll-interval",
              "changed to --automation-interval, use that instead");
  f.add_double("registry-rps", c.registry_rps, registry,
               "maximum registry requests per second per host");
  f.add_int("registry-burst", c.registry_burst, registry,
            "maximum number of warmer connections to remote and memcache");
  f.add_bool("registry-trace", c.registry_trace, registry,
             "output trace of image registry requests to log");
  f.add_list("registry-insecure-host", c.registry_insecure_host, registry,
             "let these registry hosts skip TLS host verification and fall "
             "back to using HTTP instead of HTTPS");
  f.add_list("registry-exclude-image", c.registry_exclude_image, registry,
             "do not scan images that match these glob expressions");
  f.add_list("registry-include-image", c.registry_include_image, registry,
             "scan only images that match these glob expressions");
  f.add_list("registry-use-labels", c.registry_use_labels, registry,
             "use the timestamp (RFC3339) from labels for (canonical) image "
             "refs that match these glob expressions");
  f.add_list("registry-ecr-region", c.registry_ecr_region, registry,
             "include just these AWS regions when scanning images in ECR");
  f.add_list("registry-ecr-include-id", c.registry_ecr_include_id, registry,
             "include these AWS account ID(s) when scanning images in ECR");
  f.add_list("registry-ecr-exclude-id", c.registry_ecr_exclude_id, registry,
             "exclude these AWS account ID(s) when scanning images in ECR");
  f.add_list("registry-require", c.registry_require, registry,
             "exit with an error if auto-authentication with any of the "
             "given registries is not possible (possible values: {ecr})");
  f.add_string("docker-config", c.docker_config, registry,
               "path to a docker config to use for image registry "
               "credentials");
  f.add_duration("registry-cache-expiry", c.registry_cache_expiry, registry,
                 "Duration to keep cached image info. Must be < 1 month.");
  f.deprecate("registry-cache-expiry", "no longer used; cache entries are "
                                       "expired adaptively");
  f.add_string("registry-platform", c.registry_platform, registry,
               "platform whose image config is read from multi-arch "
               "images (os/arch[/variant])");
  f.add_int("registry-concurrency", c.registry_concurrency, registry,
            "maximum concurrent requests per registry host");
  f.add_duration("automation-batch-window", c.automation_batch_window,
                 registry,
                 "image updates found within this window go into one commit");

  // -- memcached ------------------------------------------------------------------
  f.add_string("memcached-hostname", c.memcached_hostname, memcached,
               "hostname for memcached service.");
  f.add_int("memcached-port", c.memcached_port, memcached,
            "memcached service port.");
  f.add_string("memcached-service", c.memcached_service, memcached,
               "SRV service used to discover memcache servers.");
  f.add_duration("memcached-timeout", c.memcached_timeout, memcached,
                 "maximum time to wait before giving up on memcached "
                 "requests.");

  // -- kubernetes -----------------------------------------------------------------
  f.add_string("k8s-secret-name", c.k8s_secret_name, kube,
               "name of the k8s secret used to store the private SSH key");
  f.add_string("k8s-secret-volume-mount-path",
               c.k8s_secret_volume_mount_path, kube,
               "mount location of the k8s secret storing the private SSH key");
  f.add_string("k8s-secret-data-key", c.k8s_secret_data_key, kube,
               "data key holding the private SSH key");
  f.add_bool("k8s-in-cluster", c.k8s_in_cluster, kube,
             "set this to true if fluxd is deployed as a container inside "
             "Kubernetes");
  f.deprecate("k8s-in-cluster", "no longer used");
  f.add_list("k8s-allow-namespace", c.k8s_allow_namespace, kube,
             "restrict all operations to the provided namespaces");
  f.add_list("k8s-namespace-whitelist", c.k8s_namespace_whitelist, kube,
             "restrict the view of the cluster to the namespaces listed");
  f.deprecate("k8s-namespace-whitelist",
              "changed to --k8s-allow-namespace, use that instead");
  f.add_string("k8s-default-namespace", c.k8s_default_namespace, kube,
               "the namespace to use for resources where a namespace is not "
               "specified");
  f.add_list("k8s-unsafe-exclude-resource", c.k8s_unsafe_exclude_resource,
             kube,
             "do not attempt to obtain cluster resources whose group/version "
             "and kind match these glob expressions");
  f.add_double("k8s-qps", c.k8s_qps, kube,
               "maximum requests per second to the Kubernetes API");
  f.add_int("k8s-burst", c.k8s_burst, kube,
            "burst of requests allowed above --k8s-qps");

  // -- ssh keygen -----------------------------------------------------------------
  f.add_string("ssh-keygen-dir", c.ssh_keygen_dir, keygen,
               "directory, ideally on a tmpfs volume, in which to generate new "
               "SSH keys when necessary");
  f.add_int("ssh-keygen-bits", c.ssh_keygen_bits, keygen,
            "-b argument to ssh-keygen (default unspecified)");
  f.add_string("ssh-keygen-type", c.ssh_keygen_type, keygen,
               "-t argument to ssh-keygen (default unspecified)");
  f.add_string("ssh-keygen-format", c.ssh_keygen_format, keygen,
               "-m argument to ssh-keygen (default unspecified)");

  // -- manifest generation ------------------------------------------------------
  f.add_bool("manifest-generation", c.manifest_generation, generation,
             "experimental; search for .flux.yaml files to generate "
             "manifests");

  // -- upstream -----------------------------------------------------------------------
  f.add_string("connect", c.connect, upstream,
               "connect to an upstream service e.g., Weave Cloud, at this "
               "base address");
  f.add_string("token", c.token, upstream,
               "authentication token for upstream service");
  f.add_duration("rpc-timeout", c.rpc_timeout, upstream,
                 "maximum time an operation requested by the upstream may "
                 "take");
}

namespace {

void require_one_of(const std::string& flag, const std::string& value,
                    std::initializer_list<const char*> allowed) {
  for (auto a : allowed)
    if (value == a)
      return;
  std::string list;
  for (auto a : allowed)
    list += (list.empty() ? "" : ", ") + std::string{a};
  throw flag_error("invalid argument \"" + value + "\" for \"--" + flag
                   + "\" flag: must be one of " + list);
}

void require_positive(const std::string& flag, duration d) {
  if (d.count() <= 0)
    throw flag_error("invalid argument \"" + format_duration(d) + "\" for \"--"
                     + flag + "\" flag: must be greater than zero");
}

} // namespace

parse_result parse_daemon_args(const std::vector<std::string>& args) {
  parse_result r;
  auto& c = r.config;
  flag_set f{"fluxd"};
  register_flags(f, c);
  bool help = false;
  f.add_bool("help", help, general, "help for fluxd", 'h');
  auto positional = f.parse(args);
  r.usage = f.usage();
  r.warnings = f.warnings();
  if (help) {
    r.show_help = true;
    return r;
  }
  if (!positional.empty())
    throw flag_error("fluxd takes no arguments, got \"" + positional.front()
                     + "\"");

  // -- derived settings, in Flux v1's order ---------------------------------
  if (c.log_format != "json")
    c.log_format = "fmt";
  for (auto& p : c.git_path)
    if (!p.empty() && p.front() == '/')
      throw flag_error("git subdirectory (--git-path) should not have leading "
                       "forward slash: \"" + p + "\"");
  if (!c.git_label.empty()) {
    c.git_sync_tag = c.git_label;
    c.git_notes_ref = c.git_label;
  }
  if (f.changed("registry-poll-interval") && !f.changed("automation-interval"))
    c.automation_interval = c.registry_poll_interval;
  for (auto& ns : c.k8s_namespace_whitelist)
    if (std::find(c.k8s_allow_namespace.begin(), c.k8s_allow_namespace.end(),
                  ns)
        == c.k8s_allow_namespace.end())
      c.k8s_allow_namespace.push_back(ns);
  if (c.git_verify_signatures && !f.changed("git-verify-signatures-mode"))
    c.git_verify_signatures_mode = "all";
  if (c.git_verify_signatures_mode.empty())
    c.git_verify_signatures_mode = "none";
  require_one_of("git-verify-signatures-mode", c.git_verify_signatures_mode,
                 {"none", "all", "first-parent"});
  require_one_of("sync-state", c.sync_state, {"git", "secret"});
  require_one_of("log-level", c.log_level, {"debug", "info", "warn", "error"});
  for (auto& req : c.registry_require)
    require_one_of("registry-require", req, {"ecr"});
  if (c.git_readonly) {
    if (c.sync_state == "git" && f.changed("sync-state"))
      r.warnings.push_back("--sync-state=git is not possible with "
                           "--git-readonly; using --sync-state=secret");
    c.sync_state = "secret";
    for (auto flag : {"git-user", "git-email", "git-sync-tag",
                      "git-set-author", "git-ci-skip", "git-ci-skip-message"})
      if (f.changed(flag))
        r.warnings.push_back(std::string{"--"} + flag
                             + " has no effect with --git-readonly");
  }
  require_positive("git-poll-interval", c.git_poll_interval);
  require_positive("git-timeout", c.git_timeout);
  require_positive("sync-interval", c.sync_interval);
  require_positive("sync-timeout", c.sync_timeout);
  require_positive("automation-interval", c.automation_interval);
  if (c.registry_rps <= 0)
    throw flag_error("invalid argument for \"--registry-rps\" flag: must be "
                     "greater than zero");
  if (c.registry_burst < 1)
    throw flag_error("invalid argument for \"--registry-burst\" flag: must "
                     "be at least 1");
  if (c.k8s_qps <= 0)
    throw flag_error("invalid argument for \"--k8s-qps\" flag: must be "
                     "greater than zero");
  if (c.k8s_burst < 1)
    throw flag_error("invalid argument for \"--k8s-burst\" flag: must be at "
                     "least 1");
  if (c.registry_concurrency < 1)
    throw flag_error("invalid argument for \"--registry-concurrency\" flag: "
                     "must be at least 1");
  return r;
}

std::string flags_reference_markdown() {
  daemon_config defaults;
  flag_set f{"fluxd"};
  register_flags(f, defaults);
  std::ostringstream out;
  out << "# fluxd configuration reference\n\n"
      << "Generated from the flag table in "
      << "`adapters/config/daemon_config.cpp` "
      << "(`scripts/gen-docs`); a test fails when this file "
      << "is out of date.\n\n"
      << "Flags take `--flag=value` or `--flag value`; booleans `--flag` or "
      << "`--flag=false`; lists are comma-separated and/or repeated; "
      << "durations use Go syntax (`5m`, `1h30m`, `20s`).\n";
  std::string group;
  for (auto& d : f.flags()) {
    if (d.group != group) {
      group = d.group;
      out << "\n## " << group << "\n\n"
          << "| Flag | Default | Meaning |\n|---|---|---|\n";
    }
    std::string name = "`--" + d.name + "`";
    if (d.shorthand)
      name += ", `-" + std::string(1, d.shorthand) + "`";
    std::string help = d.help;
    if (!d.deprecated.empty())
      help += " **Deprecated:** " + d.deprecated + ".";
    std::string def = d.default_text;
    std::replace(help.begin(), help.end(), '|', '/');
    out << "| " << name << " | `" << def << "` | " << help << " |\n";
  }
  return out.str();
}

} // namespace fluxd::config
