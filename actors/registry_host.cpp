#include "actors/registry_host.hpp"

#include "caf/event_based_actor.hpp"

#include "actors/handlers.hpp"
#include "actors/registry_fetcher.hpp"
#include "adapters/registry/metrics.hpp"

namespace fluxd {

namespace {

using self_ptr = registry_host_impl::stateful_pointer<registry_host_state>;
using job = registry_host_state::job;

void dispatch(self_ptr self);

void schedule(self_ptr self, registry::steady_time at) {
  auto& st = self->state;
  if (st.tick_at && *st.tick_at <= at)
    return; // an earlier tick will come and re-dispatch
  st.tick_at = at;
  self->scheduled_send(self, at, host_tick_atom_v);
}

/// Forgets requests older than a minute.
void prune_recent(registry_host_state& st, registry::steady_time now) {
  auto minute_ago = now - std::chrono::minutes(1);
  while (!st.recent.empty() && st.recent.front() < minute_ago)
    st.recent.pop_front();
}

/// The error's own text: the adapter's message for registry errors.
std::string error_message(self_ptr self, const caf::error& err) {
  if (err.category() == caf::atom("registry") && err.context().size() > 0
      && err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0);
  return self->system().render(err);
}

/// Feeds what the registry said into the back-off and the bucket.
void feed(self_ptr self, const fetch_result& r) {
  auto& st = self->state;
  auto now = self->clock().now();
  prune_recent(st, now);
  for (size_t i = 0; i < r.signals.size(); ++i)
    st.recent.push_back(now);
  if (r.error) {
    st.last_error = error_message(self, r.error);
    st.last_error_at = caf::make_timestamp();
  }
  bool changed = false;
  // The job took one token to start; every further HTTP request it made
  // (token, manifest of a platform, config blob) is charged afterwards.
  if (r.signals.size() > 1)
    st.bucket->charge(static_cast<double>(r.signals.size() - 1), now);
  for (auto& s : r.signals) {
    ++st.status.requests;
    if (s.status == 0) {
      st.backoff->on_unreachable(now);
      changed = true;
      continue;
    }
    registry::rate_limit_info info;
    if (s.remaining >= 0) {
      info.remaining = s.remaining;
      st.ratelimit_remaining = s.remaining;
    }
    if (s.window_s >= 0)
      info.window = std::chrono::seconds(s.window_s);
    if (s.retry_after_s >= 0)
      info.retry_after = std::chrono::seconds(s.retry_after_s);
    if (s.status == 429)
      ++st.status.throttled;
    changed |= st.backoff->on_response(s.status, info, now);
  }
  if (changed) {
    ++st.status.backoffs;
    registry::registry_metrics::standard()
      .backoffs.with({st.cfg.client.host})
      .inc();
    st.bucket->set_rate(st.backoff->rate(), now);
    auto pause = std::chrono::duration_cast<std::chrono::milliseconds>(
      st.backoff->paused_until() - now);
    st.log.warn("backing off registry host",
                {{"rate", std::to_string(st.backoff->rate())},
                 {"pause_ms", static_cast<long long>(pause.count())}});
  } else if (!r.error && st.backoff->on_recovered(now)) {
    st.bucket->set_rate(st.backoff->rate(), now);
    st.log.info("increasing rate limit",
                {{"rate", std::to_string(st.backoff->rate())}});
  }
}

void finish(self_ptr self, registry_fetcher_actor worker, job& j,
            fetch_result& r) {
  auto& st = self->state;
  st.idle.push_back(worker);
  --st.status.in_flight;
  feed(self, r);
  if (j.meta) {
    if (r.error)
      j.meta_rp.deliver(std::move(r.error));
    else
      j.meta_rp.deliver(std::move(r.meta));
  } else {
    if (r.error)
      j.tags_rp.deliver(std::move(r.error));
    else
      j.tags_rp.deliver(std::move(r.tags));
  }
}

void start(self_ptr self, job j) {
  auto& st = self->state;
  auto worker = st.idle.back();
  st.idle.pop_back();
  ++st.status.in_flight;
  auto on_reply = [=](fetch_result& r) mutable {
    finish(self, worker, j, r);
    dispatch(self);
  };
  auto on_error = [=](caf::error& err) mutable {
    // The fetcher died (or a request timeout was configured and hit):
    // count it as an unreachable host and tell the requester.
    fetch_result r;
    r.error = caf::error{static_cast<uint8_t>(registry_errc::unreachable),
                         caf::atom("registry"),
                         caf::make_message("registry "
                                           + self->state.cfg.client.host
                                           + " repository " + j.repository
                                           + ": " + self->system().render(err))};
    r.signals.push_back(response_signal{});
    finish(self, worker, j, r);
    dispatch(self);
  };
  if (j.meta)
    self
      ->request(worker, st.cfg.request_timeout, fetch_meta_atom_v,
                j.repository, j.tag)
      .then(on_reply, on_error);
  else
    self->request(worker, st.cfg.request_timeout, list_tags_atom_v, j.repository)
      .then(on_reply, on_error);
}

void dispatch(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  while (!st.idle.empty()
         && !(st.priority.empty() && st.background.empty())) {
    if (st.backoff->paused(now)) {
      schedule(self, st.backoff->paused_until());
      break;
    }
    if (!st.bucket->try_take(now)) {
      schedule(self, now + st.bucket->wait_time(now));
      break;
    }
    auto& lane = st.priority.empty() ? st.background : st.priority;
    auto j = std::move(lane.front());
    lane.pop_front();
    start(self, std::move(j));
  }
  st.status.queued = st.priority.size() + st.background.size();
}

bool queue_full(self_ptr self) {
  auto& st = self->state;
  return st.priority.size() + st.background.size() >= st.cfg.max_queue;
}

void enqueue(self_ptr self, job j, bool priority) {
  auto& st = self->state;
  (priority ? st.priority : st.background).push_back(std::move(j));
  dispatch(self);
}

caf::error busy(self_ptr self, const std::string& repo) {
  return caf::error{static_cast<uint8_t>(registry_errc::busy),
                    caf::atom("registry"),
                    caf::make_message("registry " + self->state.cfg.client.host
                                      + " repository " + repo
                                      + ": request queue is full")};
}

} // namespace

registry_host_impl::behavior_type
registry_host(registry_host_impl::stateful_pointer<registry_host_state> self,
              registry_host_config cfg) {
  auto& st = self->state;
  auto now = self->clock().now();
  cfg.backoff.max_rate = cfg.rps;
  st.bucket.emplace(cfg.rps, cfg.burst, now);
  st.backoff.emplace(cfg.backoff);
  st.status.host = cfg.client.host;
  st.status.rate = cfg.rps;
  st.log = log::logger{"registry_host", {{"host", cfg.client.host}}};
  install_handlers(self, st.log);
  // The fetchers share one ping and one token cache.
  if (!cfg.client.shared)
    cfg.client.shared = registry::make_session();
  for (size_t i = 0; i < std::max<size_t>(1, cfg.concurrency); ++i)
    st.idle.push_back(self->spawn<caf::linked + caf::detached>(
      registry_fetcher, cfg.client));
  st.cfg = std::move(cfg);
  return {
    [=](list_tags_atom, const std::string& repo,
        bool priority) -> caf::result<std::vector<std::string>> {
      if (queue_full(self))
        return busy(self, repo);
      job j;
      j.repository = repo;
      j.tags_rp = self->make_response_promise<std::vector<std::string>>();
      auto rp = j.tags_rp;
      enqueue(self, std::move(j), priority);
      return rp;
    },
    [=](fetch_meta_atom, const std::string& repo, const std::string& tag,
        bool priority) -> caf::result<image_meta> {
      if (queue_full(self))
        return busy(self, repo);
      job j;
      j.meta = true;
      j.repository = repo;
      j.tag = tag;
      j.meta_rp = self->make_response_promise<image_meta>();
      auto rp = j.meta_rp;
      enqueue(self, std::move(j), priority);
      return rp;
    },
    [=](caf::get_atom) {
      auto s = self->state.status;
      auto now = self->clock().now();
      s.rate = self->state.backoff->rate();
      s.paused = self->state.backoff->paused(now);
      s.queued = self->state.priority.size() + self->state.background.size();
      return s;
    },
    [=](host_info_atom) {
      auto& st = self->state;
      auto now = self->clock().now();
      prune_recent(st, now);
      registry_host_info info;
      info.host = st.cfg.client.host;
      info.requests_last_minute = st.recent.size();
      info.rate = st.backoff->rate();
      info.in_flight = st.status.in_flight;
      info.queued = st.priority.size() + st.background.size();
      info.backing_off = st.backoff->paused(now);
      if (info.backing_off)
        info.backoff_until = caf::make_timestamp()
                             + std::chrono::duration_cast<caf::timespan>(
                               st.backoff->paused_until() - now);
      info.last_error = st.last_error;
      info.last_error_at = st.last_error_at;
      info.ratelimit_remaining = st.ratelimit_remaining;
      info.requests = st.status.requests;
      info.throttled = st.status.throttled;
      return info;
    },
    [=](host_tick_atom) {
      self->state.tick_at.reset();
      dispatch(self);
    },
  };
}

} // namespace fluxd
