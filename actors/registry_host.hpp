#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "caf/duration.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/log/log.hpp"
#include "adapters/registry/client.hpp"
#include "adapters/registry/rate.hpp"
#include "messages/registry.hpp"

namespace fluxd {

struct registry_host_config {
  /// How to reach the host. `observer` (metrics) is called from the
  /// fetchers' threads and must be thread-safe.
  registry::client_options client;
  double rps = 50;          ///< --registry-rps
  double burst = 10;        ///< --registry-burst
  size_t concurrency = 4;   ///< requests in flight at once
  /// A fetcher's HTTP client times out by itself, and a fetcher that dies
  /// takes this (linked) host with it. CAF 0.17 keeps every request's
  /// timeout in its clock and delivers it even after the answer: a timeout
  /// per job woke fluxd ~100 times a second for minutes after a scan.
  caf::duration request_timeout = caf::infinite;
  size_t max_queue = 100000;
  registry::backoff::options backoff; ///< max_rate is set from rps
};

/// Self-messages: a timer to dispatch when tokens or the pause allow.
using registry_host_impl =
  registry_host_actor::extend<caf::reacts_to<host_tick_atom>>;

/// Queues requests for one registry host and lets them out politely: a
/// token bucket (--registry-rps/--registry-burst), at most `concurrency` in
/// flight (one detached fetcher each), releases before background scans, and
/// a pause after 429/5xx/unreachable that honours Retry-After and
/// ratelimit-remaining, recovering slowly afterwards.
struct registry_host_state {
  static inline const char* name = "fluxd.registry_host";

  struct job {
    bool meta = false;
    std::string repository;
    std::string tag;
    caf::typed_response_promise<std::vector<std::string>> tags_rp;
    caf::typed_response_promise<image_meta> meta_rp;
  };

  registry_host_config cfg;
  std::optional<registry::token_bucket> bucket;
  std::optional<registry::backoff> backoff;
  std::deque<job> priority;
  std::deque<job> background;
  std::vector<registry_fetcher_actor> idle;
  std::optional<registry::steady_time> tick_at;
  host_status status;
  /// When each request of the last minute was made (the page's rate).
  std::deque<registry::steady_time> recent;
  std::string last_error;
  caf::timestamp last_error_at{};
  int64_t ratelimit_remaining = -1; ///< as the registry last said
  log::logger log{"registry_host"};
};

registry_host_impl::behavior_type
registry_host(registry_host_impl::stateful_pointer<registry_host_state> self,
              registry_host_config cfg);

} // namespace fluxd
