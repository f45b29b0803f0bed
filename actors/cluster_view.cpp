#include "actors/cluster_view.hpp"

#include "caf/actor_cast.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/send.hpp"

#include "actors/cluster_watcher.hpp"
#include "actors/cluster_worker.hpp"
#include "actors/handlers.hpp"
#include "adapters/kube/workloads.hpp"

namespace fluxd {

namespace {

using view_ptr = cluster_view_full_actor::stateful_pointer<cluster_view_state>;

void start_watch(view_ptr self, cluster_watcher_config wc) {
  wc.client = self->state.cfg.client;
  wc.view = caf::actor_cast<cluster_view_full_actor>(self);
  wc.cancel = std::make_shared<kube::stream_cancel>();
  wc.max_backoff = self->state.cfg.max_backoff;
  wc.recheck_interval = self->state.cfg.recheck_interval;
  self->state.cancels.push_back(wc.cancel);
  auto w = self->spawn<caf::detached + caf::linked>(cluster_watcher, wc);
  self->send(w, cluster_watch_atom_v);
}

void start_watches(view_ptr self) {
  auto& st = self->state;
  std::vector<std::string> scopes = st.cfg.allowed_namespaces;
  if (scopes.empty())
    scopes.push_back("");
  for (const auto& ns : scopes) {
    for (const auto& k : kube::workload_kinds()) {
      cluster_watcher_config wc;
      wc.api_version = k.api_version;
      wc.fallback_api_version = k.fallback_api_version;
      wc.kind = k.kind;
      wc.ns = ns;
      wc.key = k.id_kind + "@" + ns;
      st.workload_keys.insert(wc.key);
      start_watch(self, wc);
    }
    if (!st.cfg.pull_secrets)
      continue;
    for (const char* kind : {"Secret", "ServiceAccount"}) {
      cluster_watcher_config wc;
      wc.api_version = "v1";
      wc.kind = kind;
      wc.ns = ns;
      wc.workloads = false;
      wc.key = std::string(kind) + "@" + ns;
      start_watch(self, wc);
    }
  }
}

void refresh_credentials(view_ptr self);

/// Pull secrets are read again soon (changes come in bursts); only once
/// every workload kind has been listed, so an empty first pass never
/// replaces good credentials.
void credentials_changed(view_ptr self) {
  auto& st = self->state;
  if (!st.cfg.pull_secrets)
    return;
  st.creds_dirty = true;
  if (!st.synced || st.creds_scheduled || st.creds_running)
    return;
  st.creds_scheduled = true;
  self->delayed_send(self, st.cfg.credentials_debounce, cluster_refresh_atom_v);
}

void refresh_credentials(view_ptr self) {
  auto& st = self->state;
  st.creds_scheduled = false;
  if (st.creds_running || !st.synced)
    return;
  st.creds_running = true;
  st.creds_dirty = false;
  std::vector<pull_secret_source> all;
  for (const auto& kv : st.sources)
    all.push_back(kv.first);
  self->request(st.creds, st.cfg.export_timeout, cluster_creds_atom_v,
                std::move(all))
      .then(
          [self](std::vector<std::string>& problems,
                 std::vector<std::string>& consulted) {
            auto& st = self->state;
            st.creds_running = false;
            st.creds_consulted = {consulted.begin(), consulted.end()};
            if (problems != st.creds_problems)
              for (const auto& p : problems)
                st.log.warn("image pull secret not used", {{"why", p}});
            st.creds_problems = std::move(problems);
            if (st.creds_dirty)
              credentials_changed(self);
          },
          [self](caf::error& err) {
            auto& st = self->state;
            st.creds_running = false;
            st.log.warn("cannot read image pull secrets; keeping the last ones",
                        {{"err", self->system().render(err)}});
          });
}

/// Whether a changed Secret or ServiceAccount is one the pull credentials
/// come from (Secrets: read by the last pass, found or not).
bool concerns_credentials(view_ptr self, const std::string& kind,
                          const std::string& ns_name) {
  auto& st = self->state;
  if (kind == "Secret")
    return st.creds_consulted.count(ns_name) > 0;
  for (const auto& [key, workloads] : st.by_key)
    for (const auto& [id, w] : workloads)
      if (w.ns + "/" + w.service_account == ns_name)
        return true;
  return false;
}

pull_secret_source source_of(const watched_workload& w) {
  return {w.ns, w.service_account, w.pull_secrets};
}

/// Counts `w`'s source in (+1) or out (-1); true when the set of distinct
/// sources changed.
bool count_source(view_ptr self, const watched_workload& w, int delta) {
  auto& sources = self->state.sources;
  auto key = source_of(w);
  if (delta > 0)
    return ++sources[key] == 1;
  auto it = sources.find(key);
  if (it == sources.end() || --it->second > 0)
    return false;
  sources.erase(it);
  return true;
}

/// Replaces a watch key's workloads; true when the sources changed.
bool replace_slot(view_ptr self, const std::string& key,
                  std::vector<watched_workload>* workloads) {
  auto& slot = self->state.by_key[key];
  bool changed = false;
  for (const auto& [id, w] : slot)
    changed |= count_source(self, w, -1);
  slot.clear();
  if (workloads)
    for (auto& w : *workloads) {
      changed |= count_source(self, w, +1);
      auto id = w.workload.id;
      slot.emplace(std::move(id), std::move(w));
    }
  return changed;
}

void mark_listed(view_ptr self, const std::string& key) {
  auto& st = self->state;
  st.listed.insert(key);
  if (st.synced)
    return;
  for (const auto& k : st.workload_keys)
    if (st.listed.count(k) == 0)
      return;
  st.synced = true;
  size_t n = 0;
  for (const auto& kv : st.by_key)
    n += kv.second.size();
  st.log.info("workloads listed", {{"workloads", std::to_string(n)}});
  credentials_changed(self);
}

} // namespace

cluster_view_full_actor::behavior_type
cluster_view(view_ptr self, cluster_view_config config) {
  install_handlers(self, self->state.log);
  auto& st = self->state;
  st.cfg = std::move(config);
  cluster_worker_config wc;
  wc.client = st.cfg.client;
  wc.allowed_namespaces = st.cfg.allowed_namespaces;
  wc.pull_secrets = st.cfg.pull_secrets;
  wc.request_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      st.cfg.export_timeout);
  wc.ping_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      st.cfg.ping_timeout);
  st.exporter = self->spawn<caf::detached + caf::linked>(cluster_worker, wc);
  st.pinger = self->spawn<caf::detached + caf::linked>(cluster_worker, wc);
  st.creds = self->spawn<caf::detached + caf::linked>(cluster_worker, wc);
  start_watches(self);
  // Watchers block in their handler until cancelled: cancel them when the
  // view goes, whatever the reason.
  auto cancels = st.cancels;
  self->attach_functor([cancels] {
    for (const auto& c : cancels)
      c->cancel();
  });
  if (st.cfg.pull_secrets)
    self->delayed_send(self, st.cfg.credentials_interval, caf::tick_atom_v);

  return {
      [=](cluster_workloads_atom,
          const std::string& ns) -> caf::result<std::vector<live_workload>> {
        auto& st = self->state;
        if (!st.synced)
          return caf::make_error(cluster_errc::not_synced,
                                 "the first list of workloads is not done");
        std::map<std::string, const live_workload*> sorted;
        for (const auto& [key, workloads] : st.by_key)
          for (const auto& [id, w] : workloads)
            if (ns.empty() || w.ns == ns)
              sorted[id] = &w.workload;
        std::vector<live_workload> out;
        out.reserve(sorted.size());
        for (const auto& kv : sorted)
          out.push_back(*kv.second);
        return out;
      },
      [=](cluster_export_atom) -> caf::result<std::string> {
        auto rp = self->make_response_promise<std::string>();
        self->request(self->state.exporter, self->state.cfg.export_timeout,
                      cluster_export_atom_v)
            .then(
                [rp](std::string& yaml) mutable {
                  rp.deliver(std::move(yaml));
                },
                [rp](caf::error& err) mutable {
                  if (err == caf::sec::request_timeout)
                    err = caf::make_error(cluster_errc::unreachable,
                                          "export timed out");
                  rp.deliver(std::move(err));
                });
        return rp;
      },
      [=](cluster_ping_atom) -> caf::result<bool> {
        auto rp = self->make_response_promise<bool>();
        self->request(self->state.pinger, self->state.cfg.ping_timeout,
                      cluster_ping_atom_v)
            .then([rp](bool ok) mutable { rp.deliver(ok); },
                  [rp](caf::error&) mutable { rp.deliver(false); });
        return rp;
      },
      [=](cluster_synced_atom, const std::string& key,
          std::vector<watched_workload>& workloads) {
        bool changed = replace_slot(self, key, &workloads);
        mark_listed(self, key);
        if (changed)
          credentials_changed(self);
      },
      [=](cluster_upsert_atom, const std::string& key, watched_workload& w) {
        auto& slot = self->state.by_key[key];
        auto id = w.workload.id;
        auto it = slot.find(id);
        bool changed = count_source(self, w, +1);
        if (it != slot.end()) {
          changed |= count_source(self, it->second, -1);
          it->second = std::move(w);
        } else {
          slot.emplace(std::move(id), std::move(w));
        }
        if (changed)
          credentials_changed(self);
      },
      [=](cluster_remove_atom, const std::string& key, const std::string& id) {
        auto& slot = self->state.by_key[key];
        auto it = slot.find(id);
        if (it == slot.end())
          return;
        bool changed = count_source(self, it->second, -1);
        slot.erase(it);
        if (changed)
          credentials_changed(self);
      },
      [=](cluster_skipped_atom, const std::string& key, const std::string&) {
        bool changed = replace_slot(self, key, nullptr);
        self->state.by_key.erase(key);
        mark_listed(self, key);
        if (changed)
          credentials_changed(self);
      },
      [=](cluster_touch_atom, const std::string& kind,
          const std::string& ns_name) {
        if (ns_name.empty() || concerns_credentials(self, kind, ns_name))
          credentials_changed(self);
      },
      [=](cluster_refresh_atom) { refresh_credentials(self); },
      [=](caf::tick_atom) {
        credentials_changed(self);
        self->delayed_send(self, self->state.cfg.credentials_interval,
                           caf::tick_atom_v);
      },
  };
}

} // namespace fluxd
