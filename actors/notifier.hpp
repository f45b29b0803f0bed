#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/config/daemon_config.hpp"
#include "adapters/log/log.hpp"
#include "adapters/notify/delivery_queue.hpp"
#include "adapters/notify/webhook.hpp"
#include "messages/automation.hpp"
#include "messages/core.hpp"

namespace fluxd {

struct notifier_config {
  std::vector<std::string> webhooks; ///< --notify-webhook, as given
  notify::client_options client;     ///< secret, timeouts, CA bundle
  notify::retry_policy retry;
};

/// One webhook's worker: its queue, delivered from its own thread (HTTP
/// blocks), so that a slow or dead webhook holds back only itself.
/// `tick` means "try the oldest event now".
using webhook_worker_actor = caf::typed_actor<caf::reacts_to<fluxd_event>,
                                              caf::reacts_to<caf::tick_atom>>;

struct webhook_worker_state {
  static inline const char* name = "fluxd.webhook";
  std::unique_ptr<notify::webhook_client> client;
  notify::delivery_queue queue;
  bool tick_pending = false; ///< a tick is in the mailbox or scheduled
  /// What this worker added to the queued-events gauge.
  std::shared_ptr<int64_t> counted = std::make_shared<int64_t>(0);
  log::logger log{"notify"};
};

webhook_worker_actor::behavior_type webhook_worker(
    webhook_worker_actor::stateful_pointer<webhook_worker_state> self,
    notify::webhook_target target, notify::client_options client,
    notify::retry_policy retry);

struct notifier_state {
  static inline const char* name = "fluxd.notifier";
  std::vector<webhook_worker_actor> workers;
  log::logger log{"notify"};
};

/// The event sink of fluxd (job queues, sync coordinators send it every
/// commit, release and sync): every event goes to every webhook, in the
/// order it came, each webhook with its own bounded queue and retries
/// (docs/notifications.md). Throws notify::notify_error for a bad URL.
event_sink_actor::behavior_type
notifier(event_sink_actor::stateful_pointer<notifier_state> self,
         notifier_config cfg);

/// The notifier's settings from fluxd's flags: the webhooks and the
/// secret read from --notify-webhook-secret-file. Throws
/// notify::notify_error naming the flag (never the secret) when a URL is
/// not usable or the file cannot be read.
notifier_config notifier_settings(const config::daemon_config& flags);

/// One child, "notifier", when there is a --notify-webhook; none
/// otherwise. `on_start` gets every new handle (after a restart too), for
/// whoever hands it to the job queues and sync coordinators. Throws as
/// notifier_settings does, so a bad flag stops fluxd at start.
std::vector<child_spec>
notifier_children(const config::daemon_config& flags,
                  std::function<void(event_sink_actor)> on_start = {});

} // namespace fluxd
