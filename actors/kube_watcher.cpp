#include "actors/kube_watcher.hpp"

#include <utility>
#include <vector>

#include <thread>

#include <boost/json.hpp>

#include "caf/actor_cast.hpp"
#include "caf/send.hpp"

#include "actors/handlers.hpp"
#include "adapters/sync/desired.hpp"

namespace fluxd {

namespace {

/// Returns when cancelled, or with the reason the watch cannot go on.
std::string run(const kube_watcher_config& cfg, const log::logger& log) {
  auto backoff = std::chrono::milliseconds(200);
  while (!cfg.cancel->cancelled()) {
    kube::resource_info res;
    try {
      res = cfg.client->discovery().resolve(cfg.api_version, cfg.kind);
    } catch (const std::exception& e) {
      // Not served yet (its CRD comes later) or the server is away.
      log.debug("cannot watch kind yet",
                {{"kind", cfg.kind}, {"err", e.what()}});
      cfg.cancel->sleep_for(backoff);
      backoff = std::min(backoff * 2, cfg.max_backoff);
      continue;
    }
    kube::watch_options wo;
    wo.label_selector = cfg.label_selector;
    wo.max_backoff = cfg.max_backoff;
    auto shared = [](boost::json::value& v) {
      return std::make_shared<const boost::json::value>(std::move(v));
    };
    // Events go to the sink a read at a time: one message (and one
    // wake-up) for a burst instead of one per event.
    std::vector<live_event> pending;
    auto flush = [&] {
      if (!pending.empty())
        caf::anon_send(cfg.sink, std::exchange(pending, {}));
    };
    wo.on_pause = flush;
    auto on_event = [&](kube::watch_event& ev) {
      if (cfg.cancel->cancelled())
        return false;
      switch (ev.type) {
        case kube::watch_event_type::synced: {
          std::vector<std::string> ids;
          flush();
          for (auto& item : ev.items) {
            ids.push_back(sync::id_of(item));
            pending.push_back(live_event{ids.back(),
                                         live_event::state::present,
                                         shared(item)});
          }
          flush();
          caf::anon_send(cfg.sink, watch_synced_atom_v, cfg.key,
                         std::move(ids));
          break;
        }
        case kube::watch_event_type::added:
        case kube::watch_event_type::modified:
        {
          auto id = sync::id_of(ev.object);
          pending.push_back(live_event{std::move(id),
                                       live_event::state::present,
                                       shared(ev.object)});
          break;
        }
        case kube::watch_event_type::deleted:
          pending.push_back(live_event{sync::id_of(ev.object),
                                       live_event::state::deleted,
                                       nullptr});
          break;
        case kube::watch_event_type::error:
          flush();
          log.debug("watch failed; retrying",
                    {{"kind", cfg.kind}, {"err", ev.message}});
          break;
        default:
          break;
      }
      return !cfg.cancel->cancelled();
    };
    try {
      kube::watch(*cfg.client, res, cfg.ns, wo, on_event, cfg.cancel.get());
    } catch (const std::exception& e) {
      flush();
      return e.what();
    }
    flush();
    if (!cfg.cancel->cancelled())
      return "the watch stream ended";
  }
  return {};
}

} // namespace

kube_watcher_impl::behavior_type
kube_watcher(kube_watcher_impl::stateful_pointer<kube_watcher_state> self,
             kube_watcher_config config) {
  install_handlers(self, self->state.log);
  auto cancel = config.cancel;
  auto thread = self->state.thread;
  // Runs when the actor ends, however it ends (killed included).
  self->attach_functor([cancel, thread] {
    cancel->cancel();
    if (thread->joinable())
      thread->join();
  });
  return {
    [=](watch_kind_atom) {
      auto& thread = *self->state.thread;
      if (thread.joinable())
        return;
      auto me = caf::actor_cast<caf::actor>(self);
      auto log = self->state.log;
      thread = std::thread([config, me, log]() mutable {
        std::string why;
        try {
          why = run(config, log);
        } catch (const std::exception& e) {
          why = e.what();
        }
        caf::anon_send(me, watch_ended_atom_v, why);
        me = nullptr;
      });
    },
    [=](watch_ended_atom, const std::string& why) {
      if (why.empty()) {
        self->quit();
        return;
      }
      self->state.log.warn("watch ended", {{"kind", config.kind},
                                           {"err", why}});
      self->quit(caf::make_error(sync_errc::other, "watch ended: " + why));
    },
  };
}

} // namespace fluxd
