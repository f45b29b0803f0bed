#include "actors/cluster_watcher.hpp"

#include <optional>
#include <thread>

#include <boost/json.hpp>

#include "caf/send.hpp"

#include "actors/handlers.hpp"
#include "adapters/kube/workloads.hpp"

namespace fluxd {

namespace {

/// Sleeps, waking at once on a cancel.
void pause(std::chrono::milliseconds d, kube::stream_cancel& cancel) {
  cancel.sleep_for(d);
}

live_workload to_message(const kube::workload_view& w) {
  live_workload out;
  out.id = w.id;
  for (const auto& c : w.containers)
    out.containers.push_back({c.name, c.image});
  out.excuse = w.excuse;
  out.status = w.status;
  out.desired = w.desired;
  out.updated = w.updated;
  out.ready = w.ready;
  out.available = w.available;
  out.outdated = w.outdated;
  out.messages = w.messages;
  out.antecedent = w.antecedent;
  out.labels = w.labels;
  return out;
}

/// The workload of a live object, nullopt for add-ons and other kinds.
std::optional<watched_workload> watched(const boost::json::value& object) {
  if (kube::is_addon(object))
    return std::nullopt;
  auto w = kube::workload_of(object);
  if (!w)
    return std::nullopt;
  return watched_workload{to_message(*w), w->ns, w->service_account,
                          w->pull_secrets};
}

std::string meta_field(const boost::json::value& object, const char* key) {
  if (const auto* o = object.if_object())
    if (auto* m = o->if_contains("metadata"); m && m->is_object())
      if (auto* v = m->get_object().if_contains(key); v && v->is_string())
        return std::string(v->get_string());
  return {};
}

std::string ns_name(const boost::json::value& object) {
  return meta_field(object, "namespace") + "/" + meta_field(object, "name");
}

/// The ID of a deleted object (or one that turned into an add-on).
std::string id_of(const boost::json::value& object, const std::string& kind) {
  const auto* o = object.if_object();
  const boost::json::object* meta = nullptr;
  if (o)
    if (auto* m = o->if_contains("metadata"); m && m->is_object())
      meta = &m->get_object();
  auto field = [&](const char* key) {
    if (meta)
      if (auto* v = meta->if_contains(key); v && v->is_string())
        return std::string(v->get_string());
    return std::string();
  };
  std::string lower;
  for (char c : kind)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return field("namespace") + ":" + lower + "/" + field("name");
}

class runner {
public:
  runner(const cluster_watcher_config& cfg, const log::logger& log)
      : cfg_(cfg), log_(log) {}

  void run() {
    auto backoff = std::chrono::milliseconds(200);
    auto wait = [&] {
      pause(backoff, *cfg_.cancel);
      backoff = std::min(backoff * 2, cfg_.max_backoff);
    };
    while (!cfg_.cancel->cancelled()) {
      auto res = resolve(wait);
      if (!res)
        continue;
      kube::list_page page;
      try {
        kube::list_options lo;
        lo.limit = 500;
        page = cfg_.client->list_all(*res, cfg_.ns, lo);
      } catch (const kube::api_error& e) {
        if (e.code() == 404 || e.code() == 403) {
          skip(e.what());
          continue;
        }
        log_.debug("list failed; retrying",
                   {{"watch", cfg_.key}, {"err", e.what()}});
        wait();
        continue;
      } catch (const std::exception& e) {
        log_.debug("list failed; retrying",
                   {{"watch", cfg_.key}, {"err", e.what()}});
        wait();
        continue;
      }
      backoff = std::chrono::milliseconds(200);
      skipped_ = false;
      synced(page.items);
      kube::watch_options wo;
      wo.resource_version = std::move(page.resource_version);
      // The view has its summaries: the list's JSON (every object of the
      // kind, ~10 KB each) must not live as long as the watch.
      page = {};
      wo.max_backoff = cfg_.max_backoff;
      kube::watch(
          *cfg_.client, *res, cfg_.ns, wo,
          [this](const kube::watch_event& ev) { return on(ev); },
          cfg_.cancel.get());
    }
  }

private:
  /// The served version of the kind; nullopt after a pause when it is not
  /// served (reported once as skipped) or the server is away.
  template <class Wait>
  std::optional<kube::resource_info> resolve(Wait& wait) {
    for (const auto& v : {cfg_.api_version, cfg_.fallback_api_version}) {
      if (v.empty())
        continue;
      try {
        return cfg_.client->discovery().resolve(v, cfg_.kind);
      } catch (const kube::unknown_kind_error&) {
        // try the next version
      } catch (const std::exception& e) {
        log_.debug("discovery failed; retrying",
                   {{"watch", cfg_.key}, {"err", e.what()}});
        wait();
        return std::nullopt;
      }
    }
    skip("the API server does not serve " + cfg_.api_version + " " + cfg_.kind);
    return std::nullopt;
  }

  /// Flux v1 skips a kind that is not served or is forbidden, quietly.
  void skip(const std::string& why) {
    if (!skipped_) {
      log_.debug("kind skipped", {{"watch", cfg_.key}, {"why", why}});
      caf::anon_send(cfg_.view, cluster_skipped_atom_v, cfg_.key, why);
      skipped_ = true;
    }
    pause(cfg_.recheck_interval, *cfg_.cancel);
  }

  void synced(const boost::json::array& items) {
    if (!cfg_.workloads) {
      caf::anon_send(cfg_.view, cluster_touch_atom_v, cfg_.kind, std::string());
      return;
    }
    std::vector<watched_workload> out;
    for (const auto& item : items)
      if (auto w = watched(item))
        out.push_back(std::move(*w));
    caf::anon_send(cfg_.view, cluster_synced_atom_v, cfg_.key, std::move(out));
  }

  bool on(const kube::watch_event& ev) {
    if (cfg_.cancel->cancelled())
      return false;
    using t = kube::watch_event_type;
    switch (ev.type) {
      case t::synced:
        synced(ev.items);
        break;
      case t::added:
      case t::modified:
      case t::deleted:
        if (!cfg_.workloads) {
          caf::anon_send(cfg_.view, cluster_touch_atom_v, cfg_.kind,
                         ns_name(ev.object));
        } else if (auto w = ev.type == t::deleted ? std::nullopt
                                                  : watched(ev.object)) {
          caf::anon_send(cfg_.view, cluster_upsert_atom_v, cfg_.key,
                         std::move(*w));
        } else {
          caf::anon_send(cfg_.view, cluster_remove_atom_v, cfg_.key,
                         id_of(ev.object, cfg_.kind));
        }
        break;
      case t::error:
        log_.debug("watch failed; retrying",
                   {{"watch", cfg_.key}, {"err", ev.message}});
        break;
      default:
        break;
    }
    return !cfg_.cancel->cancelled();
  }

  const cluster_watcher_config& cfg_;
  const log::logger& log_;
  bool skipped_ = false;
};

} // namespace

cluster_watcher_actor::behavior_type cluster_watcher(
    cluster_watcher_actor::stateful_pointer<cluster_watcher_state> self,
    cluster_watcher_config config) {
  install_handlers(self, self->state.log);
  return {
      [=](cluster_watch_atom) {
        runner{config, self->state.log}.run();
        self->quit();
      },
  };
}

} // namespace fluxd
