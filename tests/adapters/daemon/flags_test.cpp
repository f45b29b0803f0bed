#include <catch2/catch.hpp>

#include <set>

#include "adapters/config/daemon_config.hpp"

using fluxd::config::flag_error;
using fluxd::config::flag_kind;
using fluxd::config::parse_daemon_args;
using namespace std::chrono_literals;

namespace {

std::string error_of(std::vector<std::string> args) {
  try {
    parse_daemon_args(args);
  } catch (const flag_error& e) {
    return e.what();
  }
  return "accepted";
}

} // namespace

TEST_CASE("defaults are Flux v1's") {
  auto c = parse_daemon_args({}).config;
  CHECK(c.listen == ":3030");
  CHECK(c.listen_metrics.empty());
  CHECK(c.log_format == "fmt");
  CHECK(c.git_branch == "master");
  CHECK(c.git_user == "Weave Flux");
  CHECK(c.git_email == "support@weave.works");
  CHECK(c.git_sync_tag == "flux-sync");
  CHECK(c.git_notes_ref == "flux");
  CHECK(c.git_poll_interval == 5min);
  CHECK(c.git_timeout == 20s);
  CHECK(c.sync_interval == 5min);
  CHECK(c.sync_timeout == 1min);
  CHECK(c.sync_state == "git");
  CHECK(c.automation_interval == 5min);
  CHECK(c.registry_rps == 50);
  CHECK(c.registry_burst == 10);
  CHECK(c.registry_exclude_image == std::vector<std::string>{"k8s.gcr.io/*"});
  CHECK(c.registry_use_labels.size() == 2);
  CHECK(c.registry_ecr_exclude_id
        == std::vector<std::string>{"602401143452", "918309763551"});
  CHECK(c.memcached_hostname == "memcached");
  CHECK(c.memcached_port == 11211);
  CHECK(c.memcached_timeout == 1s);
  CHECK(c.k8s_secret_name == "flux-git-deploy");
  CHECK(c.k8s_secret_volume_mount_path == "/etc/fluxd/ssh");
  CHECK(c.k8s_secret_data_key == "identity");
  CHECK(c.k8s_unsafe_exclude_resource.size() == 3);
  CHECK(c.git_verify_signatures_mode == "none");
  CHECK(c.rpc_timeout == 10s);
  CHECK(c.state_dir == "/var/lib/fluxd");
}

TEST_CASE("every flag in the table parses a value of its kind") {
  fluxd::config::daemon_config defaults;
  fluxd::config::flag_set table{"fluxd"};
  fluxd::config::register_flags(table, defaults);
  std::set<std::string> names;
  for (auto& def : table.flags()) {
    INFO("flag --" << def.name);
    CHECK(names.insert(def.name).second);
    CHECK_FALSE(def.help.empty());
    CHECK_FALSE(def.group.empty());
    std::string value;
    switch (def.kind) {
      case flag_kind::boolean:
        value = "true";
        break;
      case flag_kind::string:
        value = "x";
        break;
      case flag_kind::integer:
        value = "7";
        break;
      case flag_kind::number:
        value = "2.5";
        break;
      case flag_kind::duration:
        value = "90s";
        break;
      case flag_kind::list:
        value = "a,b";
        break;
    }
    fluxd::config::daemon_config cfg;
    fluxd::config::flag_set f{"fluxd"};
    fluxd::config::register_flags(f, cfg);
    f.parse({"--" + def.name + "=" + value});
    CHECK(f.changed(def.name));
    // Both spellings are accepted for every non-boolean flag.
    if (def.kind != flag_kind::boolean) {
      fluxd::config::daemon_config cfg2;
      fluxd::config::flag_set f2{"fluxd"};
      fluxd::config::register_flags(f2, cfg2);
      f2.parse({"--" + def.name, value});
      CHECK(f2.changed(def.name));
    }
  }
  // The flags Flux v1 documents are all there (§1).
  for (auto flag :
       {"listen", "listen-metrics", "log-format", "kubernetes-kubectl",
        "version", "k8s-verbosity", "kube-config", "git-url", "git-branch",
        "git-path", "git-readonly", "git-user", "git-email", "git-set-author",
        "git-label", "git-sync-tag", "git-notes-ref", "git-ci-skip",
        "git-ci-skip-message", "git-poll-interval", "git-timeout",
        "git-secret", "sops", "git-gpg-key-import", "git-signing-key",
        "git-verify-signatures", "git-verify-signatures-mode",
        "sync-interval", "sync-timeout", "sync-garbage-collection",
        "sync-garbage-collection-dry", "sync-state",
        "registry-disable-scanning", "automation-interval",
        "registry-poll-interval", "registry-rps", "registry-burst",
        "registry-trace", "registry-insecure-host", "registry-exclude-image",
        "registry-include-image", "registry-use-labels",
        "registry-ecr-region", "registry-ecr-include-id",
        "registry-ecr-exclude-id", "registry-require", "docker-config",
        "registry-cache-expiry", "memcached-hostname", "memcached-port",
        "memcached-service", "memcached-timeout", "k8s-secret-name",
        "k8s-secret-volume-mount-path", "k8s-secret-data-key",
        "k8s-in-cluster", "k8s-allow-namespace", "k8s-namespace-whitelist",
        "k8s-default-namespace", "k8s-unsafe-exclude-resource",
        "ssh-keygen-dir", "ssh-keygen-bits", "ssh-keygen-type",
        "ssh-keygen-format", "manifest-generation", "connect", "token",
        "rpc-timeout"})
    CHECK(names.count(flag) == 1);
}

TEST_CASE("value forms: =value, separate value, bare bool, bool=false") {
  auto c = parse_daemon_args({"--git-url", "ssh://git@h/r", "--git-readonly",
                              "--git-ci-skip=false", "--git-poll-interval=1m",
                              "--git-timeout", "30s", "-l", "127.0.0.1:0",
                              "--registry-rps=12.5", "--memcached-port", "1"})
             .config;
  CHECK(c.git_url == "ssh://git@h/r");
  CHECK(c.git_readonly);
  CHECK_FALSE(c.git_ci_skip);
  CHECK(c.git_poll_interval == 1min);
  CHECK(c.git_timeout == 30s);
  CHECK(c.listen == "127.0.0.1:0");
  CHECK(c.registry_rps == 12.5);
  CHECK(c.memcached_port == 1);
  CHECK(parse_daemon_args({"-l:9"}).config.listen == ":9");
}

TEST_CASE("lists take commas and repetition, replacing the default") {
  auto c = parse_daemon_args({"--git-path=a,b", "--git-path", "c",
                              "--registry-exclude-image=x/*"})
             .config;
  CHECK(c.git_path == std::vector<std::string>{"a", "b", "c"});
  CHECK(c.registry_exclude_image == std::vector<std::string>{"x/*"});
}

TEST_CASE("bad input names the flag and what was expected") {
  CHECK(error_of({"--nope"}) == "unknown flag: --nope");
  CHECK(error_of({"-z"}) == "unknown shorthand flag: 'z' in -z");
  CHECK(error_of({"--git-timeout"}) == "flag needs an argument: --git-timeout");
  CHECK(error_of({"--git-timeout=5x"})
        == "invalid argument \"5x\" for \"--git-timeout\" flag: time: unknown "
           "unit \"x\" in duration \"5x\"");
  CHECK(error_of({"--git-readonly=maybe"})
        == "invalid argument \"maybe\" for \"--git-readonly\" flag: "
           "strconv.ParseBool: parsing \"maybe\": invalid syntax");
  CHECK(error_of({"--registry-burst=ten"})
        == "invalid argument \"ten\" for \"--registry-burst\" flag: "
           "strconv.ParseInt: parsing \"ten\": invalid syntax");
  CHECK(error_of({"--sync-state=disk"})
        == "invalid argument \"disk\" for \"--sync-state\" flag: must be one "
           "of git, secret");
  CHECK(error_of({"--git-verify-signatures-mode=some"}).find("none, all, "
                                                             "first-parent")
        != std::string::npos);
  CHECK(error_of({"--git-path=/abs"}).find("leading forward slash")
        != std::string::npos);
  CHECK(error_of({"--registry-require=gcr"}).find("registry-require")
        != std::string::npos);
  CHECK(error_of({"--git-poll-interval=0s"}).find("greater than zero")
        != std::string::npos);
  CHECK(error_of({"positional"}).find("no arguments") != std::string::npos);
}

TEST_CASE("derived settings follow Flux v1") {
  auto label = parse_daemon_args({"--git-label=prod"}).config;
  CHECK(label.git_sync_tag == "prod");
  CHECK(label.git_notes_ref == "prod");

  auto poll = parse_daemon_args({"--registry-poll-interval=2m"});
  CHECK(poll.config.automation_interval == 2min);
  CHECK(poll.warnings.size() == 1);
  CHECK(poll.warnings[0].find("--automation-interval") != std::string::npos);
  auto both = parse_daemon_args(
    {"--registry-poll-interval=2m", "--automation-interval=3m"});
  CHECK(both.config.automation_interval == 3min);

  auto ns = parse_daemon_args({"--k8s-allow-namespace=a",
                               "--k8s-namespace-whitelist=b,a"})
              .config;
  CHECK(ns.k8s_allow_namespace == std::vector<std::string>{"a", "b"});

  CHECK(parse_daemon_args({"--git-verify-signatures"})
          .config.git_verify_signatures_mode
        == "all");
  CHECK(parse_daemon_args({"--git-verify-signatures",
                           "--git-verify-signatures-mode=first-parent"})
          .config.git_verify_signatures_mode
        == "first-parent");

  auto ro = parse_daemon_args({"--git-readonly", "--git-user=me"});
  CHECK(ro.config.sync_state == "secret");
  CHECK(ro.warnings.size() == 1);
  CHECK(parse_daemon_args({"--log-format=xml"}).config.log_format == "fmt");
}

TEST_CASE("help groups flags and reference is generated from the table") {
  auto r = parse_daemon_args({"--help"});
  CHECK(r.show_help);
  for (auto group : {"General:", "Git:", "Sync:", "Kubernetes:",
                     "Registry scanning and automation:"})
    CHECK(r.usage.find(group) != std::string::npos);
  CHECK(r.usage.find("--git-poll-interval duration") != std::string::npos);
  CHECK(r.usage.find("(default 5m0s)") != std::string::npos);
  auto md = fluxd::config::flags_reference_markdown();
  CHECK(md.find("| `--git-url` | `\"\"` |") != std::string::npos);
  CHECK(md.find("## Sync") != std::string::npos);
}
