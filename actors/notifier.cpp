#include "actors/notifier.hpp"

#include <chrono>

#include "caf/actor_cast.hpp"
#include "caf/local_actor.hpp"

#include "actors/handlers.hpp"
#include "adapters/notify/metrics.hpp"
#include "adapters/release/job.hpp"

namespace fluxd {

namespace {

using worker_ptr = webhook_worker_actor::stateful_pointer<webhook_worker_state>;

int64_t unix_nanos(caf::timestamp t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             t.time_since_epoch())
      .count();
}

/// The queued-events gauge follows this worker's queue; on exit, what is
/// still queued is lost and leaves the gauge.
void count_queued(worker_ptr self) {
  auto& st = self->state;
  auto now = static_cast<int64_t>(st.queue.size());
  notify::standard_metrics().queued.with({}).add(
      static_cast<double>(now - *st.counted));
  *st.counted = now;
}

void kick(worker_ptr self) {
  auto& st = self->state;
  if (st.tick_pending || st.queue.empty())
    return;
  st.tick_pending = true;
  self->send(self, caf::tick_atom_v);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

/// One attempt at the oldest event; then the next, or a retry later.
void attempt(worker_ptr self) {
  auto& st = self->state;
  st.tick_pending = false;
  if (st.queue.empty())
    return;
  auto& m = notify::standard_metrics();
  auto& url = st.client->target().redacted;
  auto r = st.client->post(st.queue.front().what);
  auto d = st.queue.record(r);
  switch (d.what) {
    case notify::verdict::retry:
      m.retries.with({}).inc();
      st.log.warn("webhook delivery failed; will retry",
                  {{"url", url},
                   {"event", st.queue.front().what.type},
                   {"attempt", st.queue.front().attempts},
                   {"retry_in_ms", static_cast<int64_t>(d.delay.count())},
                   {"err", r.error}});
      st.tick_pending = true;
      self->delayed_send(self, d.delay, caf::tick_atom_v);
      return;
    case notify::verdict::delivered:
      m.deliveries.with({"delivered"}).inc();
      m.latency.with({}).observe(seconds_since(d.done.enqueued));
      st.log.debug("webhook delivered", {{"url", url},
                                         {"event", d.done.what.type},
                                         {"attempts", d.done.attempts}});
      break;
    case notify::verdict::gave_up: {
      bool rejected = r.outcome == notify::attempt_result::kind::rejected;
      m.deliveries.with({rejected ? "rejected" : "gave_up"}).inc();
      st.log.error(rejected ? "webhook refused the event"
                            : "webhook delivery given up",
                   {{"url", url},
                    {"event", d.done.what.type},
                    {"attempts", d.done.attempts},
                    {"err", r.error}});
      break;
    }
  }
  count_queued(self);
  kick(self);
}

} // namespace

webhook_worker_actor::behavior_type
webhook_worker(worker_ptr self, notify::webhook_target target,
               notify::client_options client, notify::retry_policy retry) {
  auto& st = self->state;
  install_handlers(self, st.log);
  st.queue = notify::delivery_queue{retry};
  st.client = std::make_unique<notify::webhook_client>(std::move(target),
                                                       std::move(client));
  self->attach_functor([counted = st.counted](const caf::error&) {
    notify::standard_metrics().queued.with({}).add(
        -static_cast<double>(*counted));
  });
  return {
      [=](const fluxd_event& ev) {
        auto& st = self->state;
        auto& m = notify::standard_metrics();
        notify::queued_event q;
        try {
          auto e = notify::parse_event(ev.type, ev.json, unix_nanos(ev.at));
          q.what = {release::new_job_id(), e.type,
                    notify::render_for(st.client->target(), e)};
        } catch (const notify::notify_error&) {
          return; // the notifier has logged it already
        }
        q.enqueued = std::chrono::steady_clock::now();
        if (st.queue.push(std::move(q))) {
          m.dropped.with({}).inc();
          st.log.warn(
              "webhook queue full; dropped the oldest event",
              {{"url", st.client->target().redacted},
               {"dropped_total", static_cast<int64_t>(st.queue.dropped())}});
        }
        count_queued(self);
        kick(self);
      },
      [=](caf::tick_atom) { attempt(self); },
  };
}

event_sink_actor::behavior_type
notifier(event_sink_actor::stateful_pointer<notifier_state> self,
         notifier_config cfg) {
  auto& st = self->state;
  install_handlers(self, st.log);
  notify::standard_metrics(); // the families show before the first event
  for (auto& url : cfg.webhooks) {
    auto target = notify::parse_target(url);
    st.log.info(
        "sending events to webhook",
        {{"url", target.redacted},
         {"format",
          target.format == notify::body_format::slack ? "slack" : "generic"},
         {"signed", !cfg.client.secret.empty()}});
    st.workers.push_back(self->spawn<caf::linked + caf::detached>(
        webhook_worker, target, cfg.client, cfg.retry));
  }
  return {
      [=](const fluxd_event& ev) {
        try {
          notify::parse_event(ev.type, ev.json, unix_nanos(ev.at));
        } catch (const notify::notify_error& err) {
          self->state.log.warn("event not sent: it cannot be read",
                               {{"event", ev.type}, {"err", err.what()}});
          return;
        }
        for (auto& w : self->state.workers)
          self->send(w, ev);
      },
  };
}

notifier_config notifier_settings(const config::daemon_config& flags) {
  notifier_config cfg;
  cfg.webhooks = flags.notify_webhook;
  for (auto& url : cfg.webhooks)
    notify::parse_target(url); // a bad URL stops fluxd now, not later
  if (!flags.notify_webhook_secret_file.empty())
    cfg.client.secret = notify::read_secret(flags.notify_webhook_secret_file);
  return cfg;
}

std::vector<child_spec>
notifier_children(const config::daemon_config& flags,
                  std::function<void(event_sink_actor)> on_start) {
  if (flags.notify_webhook.empty())
    return {};
  auto cfg = notifier_settings(flags);
  child_spec spec;
  spec.name = "notifier";
  spec.mode = restart_mode::permanent;
  spec.start = [cfg, on_start](caf::local_actor* parent) {
    auto h = parent->spawn(notifier, cfg);
    if (on_start)
      on_start(h);
    return caf::actor_cast<caf::actor>(h);
  };
  return {spec};
}

} // namespace fluxd
