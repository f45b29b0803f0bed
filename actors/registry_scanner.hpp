#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "caf/stateful_actor.hpp"
#include "caf/timespan.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/config/daemon_config.hpp"
#include "adapters/log/log.hpp"
#include "adapters/registry/client.hpp"
#include "adapters/registry/metadata_cache.hpp"
#include "messages/registry.hpp"

namespace fluxd {

/// The scanning flags (Flux v1 §1.5), as main/ fills them in.
struct registry_scanner_config {
  std::string state_dir; ///< --state-dir; empty keeps metadata in memory
  double rps = 50;       ///< --registry-rps
  double burst = 10;     ///< --registry-burst
  size_t concurrency = 4;
  std::chrono::seconds poll_interval{300}; ///< --registry-poll-interval
  std::vector<std::string> include;        ///< --registry-include-image
  std::vector<std::string> exclude{"k8s.gcr.io/*"};
  std::vector<std::string> use_labels{"index.docker.io/weaveworks/*",
                                      "index.docker.io/fluxcd/*"};
  std::vector<std::string> insecure_hosts; ///< --registry-insecure-host
  /// Hosts spoken to over plain HTTP without trying TLS (loopback).
  std::vector<std::string> plain_http_hosts;
  /// Pull secrets and --docker-config, swappable while running.
  std::shared_ptr<const registry::credentials_provider> credentials;
  /// --docker-config, re-read by the scanner every `docker_config_poll`
  /// when it changed (its credentials are a layer of `credentials`).
  std::shared_ptr<registry::docker_config_watch> docker_config;
  caf::timespan docker_config_poll = std::chrono::seconds(10);
  registry::platform want_platform;
  /// Metrics hook; called from fetcher threads, so it must be thread-safe.
  std::function<void(const registry::request_event&)> observer;
  bool trace = false; ///< --registry-trace: log every registry request
  /// How long `registry_hosts` waits for each host actor.
  caf::timespan host_info_timeout = std::chrono::seconds(2);
};

/// The scanner's settings from fluxd's flags. Credentials: `pull_secrets`
/// (workload imagePullSecrets, may be null) first, then --docker-config
/// defaults; a docker config that cannot be read is logged and ignored, as
/// Flux v1 does, and read again once it changes.
registry_scanner_config
scanner_config(const config::daemon_config& flags,
               std::shared_ptr<const registry::credentials_provider>
                 pull_secrets = nullptr);

/// Self-messages: the --docker-config poll.
using registry_scanner_impl =
  registry_scanner_actor::extend<caf::reacts_to<docker_config_atom>>;

struct registry_scanner_state {
  static inline const char* name = "fluxd.registry_scanner";
  registry_scanner_config cfg;
  std::shared_ptr<registry::metadata_cache> cache;
  metadata_writer_actor writer;
  std::map<std::string, registry_host_actor> hosts;  ///< by canonical host
  std::map<std::string, image_repo_actor> repos;     ///< by canonical name
  log::logger log{"registry_scanner"};
};

/// Children are linked: a repository or host actor that dies is forgotten
/// and started afresh (from the on-disk cache) on the next request.
registry_scanner_impl::behavior_type registry_scanner(
  registry_scanner_impl::stateful_pointer<registry_scanner_state> self,
  registry_scanner_config cfg);

} // namespace fluxd
