#include "actors/image_repo.hpp"

#include <algorithm>

#include "caf/event_based_actor.hpp"

#include "actors/handlers.hpp"
#include "actors/registry_fetcher.hpp"
#include "adapters/registry/metrics.hpp"
#include "adapters/registry/refresh.hpp"

namespace fluxd {

namespace {

using self_ptr = image_repo_impl::stateful_pointer<image_repo_state>;
using registry::time_point;

void start_scan(self_ptr self, bool priority);

time_point wall_now() {
  return std::chrono::system_clock::now();
}

std::string message_of(const caf::error& err, self_ptr self) {
  if (err.category() == caf::atom("registry") && err.context().size() > 0
      && err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0);
  return "repository " + self->state.cfg.repository + ": "
         + self->system().render(err);
}

bool same_info(const registry::image_info& a, const registry::image_info& b) {
  return a.digest == b.digest && a.created == b.created
         && a.labels == b.labels && a.excluded_reason == b.excluded_reason;
}

bool needs_created(const image_repo_state& st) {
  return std::any_of(st.listeners.begin(), st.listeners.end(),
                     [](auto& kv) { return kv.second.second; });
}

repo_snapshot snapshot(const image_repo_state& st) {
  repo_snapshot s;
  s.repository = st.cfg.repository;
  s.tags = st.record.tags;
  for (auto& [tag, rec] : st.record.images) {
    auto info = rec.info;
    info.created = registry::effective_created(info, st.cfg.use_labels);
    s.images.push_back(to_meta(tag, info));
  }
  s.last_update = caf::timestamp{std::chrono::duration_cast<caf::timespan>(
    st.record.last_update.time_since_epoch())};
  s.last_error = st.record.last_error;
  s.version = st.version;
  s.scans = st.scans;
  return s;
}

void schedule_next(self_ptr self) {
  auto gen = ++self->state.tick_generation;
  self->delayed_send(self, self->state.cfg.poll_interval, scan_tick_atom_v,
                     gen);
}

void finish_scan(self_ptr self) {
  auto& st = self->state;
  if (st.record.last_error != st.scan_error) {
    st.record.last_error = st.scan_error;
    st.scan_changed = true;
  }
  if (st.cfg.cache && st.cfg.writer) {
    self->send(st.cfg.writer, store_meta_atom_v,
               st.cfg.cache->path_for(st.record.canonical),
               registry::metadata_cache::to_json(st.record));
  } else if (st.cfg.cache) {
    try {
      st.cfg.cache->store(st.record);
    } catch (const registry::registry_error& e) {
      st.log.warn("cannot persist image metadata", {{"err", e.what()}});
    }
  }
  ++st.scans;
  // Flux v1's warmer line, which people grep for.
  if (st.attempted > 0)
    st.log.info("updated image repository",
                {{"updated", st.cfg.repository},
                 {"successful", static_cast<long long>(st.successful)},
                 {"attempted", static_cast<long long>(st.attempted)}});
  if (st.scan_changed) {
    ++st.version;
    auto snap = snapshot(st);
    for (auto& kv : st.listeners)
      self->send(kv.second.first, snap);
  }
  st.scanning = false;
  if (st.rescan_pending) {
    st.rescan_pending = false;
    start_scan(self, std::exchange(st.pending_priority, false));
    return;
  }
  schedule_next(self);
}

void on_meta(self_ptr self, const std::string& tag, const image_meta& m) {
  auto& st = self->state;
  registry::image_info info;
  info.digest = m.digest;
  info.config_digest = m.config_digest;
  info.created = time_point{
    std::chrono::duration_cast<time_point::duration>(
      m.created.time_since_epoch())};
  info.labels = m.labels;
  info.excluded_reason = m.excluded_reason;
  auto& rec = st.record.images[tag];
  auto interval = registry::next_refresh(rec.refresh_interval, rec.info.digest,
                                         info.digest, info.excluded());
  if (!same_info(rec.info, info))
    st.scan_changed = true;
  rec.info = std::move(info);
  rec.fetched_at = wall_now();
  rec.refresh_interval = interval;
  rec.refresh_after = rec.fetched_at + interval;
}

void fetch_metadata(self_ptr self) {
  auto& st = self->state;
  if (!needs_created(st)) {
    finish_scan(self);
    return;
  }
  auto now = wall_now();
  std::vector<std::string> due;
  for (auto& tag : st.record.tags) {
    auto it = st.record.images.find(tag);
    if (it == st.record.images.end() || now >= it->second.refresh_after)
      due.push_back(tag);
  }
  auto& m = registry::registry_metrics::standard();
  m.cache_hits.with({}).inc(static_cast<double>(st.record.tags.size()
                                                - due.size()));
  m.cache_misses.with({}).inc(static_cast<double>(due.size()));
  if (due.empty()) {
    finish_scan(self);
    return;
  }
  st.log.debug("fetching image metadata",
               {{"to_update", static_cast<long long>(due.size())}});
  st.outstanding = due.size();
  st.attempted = due.size();
  auto done = [=] {
    if (--self->state.outstanding == 0)
      finish_scan(self);
  };
  for (auto& tag : due)
    self
      ->request(st.cfg.host, st.cfg.request_timeout, fetch_meta_atom_v,
                st.cfg.path, tag, st.scan_priority)
      .then(
        [=](const image_meta& m) {
          on_meta(self, tag, m);
          ++self->state.successful;
          done();
        },
        [=](caf::error& err) {
          auto text = message_of(err, self);
          if (err == caf::error{registry_errc::not_found})
            self->state.log.info("manifest for tag missing",
                                 {{"tag", tag}, {"err", text}});
          else {
            self->state.log.warn("cannot fetch image metadata",
                                 {{"tag", tag}, {"err", text}});
            self->state.scan_error = text;
          }
          done();
        });
}

void on_tags(self_ptr self, std::vector<std::string> tags) {
  auto& st = self->state;
  st.listing = false;
  std::sort(tags.begin(), tags.end());
  if (tags != st.record.tags) {
    st.scan_changed = true;
    st.log.debug("tags changed",
                 {{"tags", static_cast<long long>(tags.size())}});
  }
  st.record.tags = std::move(tags);
  st.record.last_update = wall_now();
  // Forget metadata of tags that are gone.
  for (auto it = st.record.images.begin(); it != st.record.images.end();) {
    if (!std::binary_search(st.record.tags.begin(), st.record.tags.end(),
                            it->first)) {
      it = st.record.images.erase(it);
      st.scan_changed = true;
    } else {
      ++it;
    }
  }
  fetch_metadata(self);
}

void start_scan(self_ptr self, bool priority) {
  auto& st = self->state;
  if (st.scanning) {
    st.rescan_pending = true;
    st.pending_priority |= priority;
    return;
  }
  st.scanning = true;
  st.listing = true;
  st.scan_priority = priority;
  st.scan_changed = false;
  st.scan_error.clear();
  st.attempted = st.successful = 0;
  self
    ->request(st.cfg.host, st.cfg.request_timeout, list_tags_atom_v,
              st.cfg.path, priority)
    .then([=](std::vector<std::string>& tags) { on_tags(self, std::move(tags)); },
          [=](caf::error& err) {
            auto text = message_of(err, self);
            self->state.log.warn("cannot list tags", {{"err", text}});
            self->state.scan_error = text;
            self->state.listing = false;
            finish_scan(self);
          });
}

} // namespace

image_repo_impl::behavior_type
image_repo(image_repo_impl::stateful_pointer<image_repo_state> self,
           image_repo_config cfg) {
  auto& st = self->state;
  st.log = log::logger{"image_repo", {{"repository", cfg.repository}}};
  install_handlers(self, st.log);
  st.record.canonical = cfg.repository;
  if (cfg.cache) {
    try {
      if (auto r = cfg.cache->load(cfg.repository)) {
        st.record = std::move(*r);
        // Caches written before scanning kept every label.
        for (auto& kv : st.record.images)
          kv.second.info.labels = registry::created_labels(
            kv.second.info.labels);
      }
    } catch (const registry::registry_error& e) {
      st.log.warn("ignoring unreadable metadata cache", {{"err", e.what()}});
    }
  }
  if (!st.record.tags.empty())
    st.version = 1; // what we serve before the first scan is a version too
  st.cfg = std::move(cfg);
  self->set_down_handler([=](caf::down_msg& dm) {
    self->state.listeners.erase(dm.source);
  });
  self->send(self, scan_tick_atom_v, uint64_t{0});
  return {
    [=](watch_repo_atom, repo_listener_actor listener, bool needs_time) {
      auto& st = self->state;
      bool had_need = needs_created(st);
      auto addr = listener.address();
      if (st.listeners.count(addr) == 0)
        self->monitor(listener);
      st.listeners[addr] = {listener, needs_time};
      // A first subscriber that needs times: fetch metadata for the tags
      // we know now rather than at the next poll. A scan still listing
      // tags will see the subscriber anyway.
      if (needs_time && !had_need) {
        if (!st.scanning && !st.record.tags.empty()) {
          st.scanning = true;
          st.scan_priority = false;
          st.scan_changed = false;
          st.scan_error = st.record.last_error;
          st.attempted = st.successful = 0;
          fetch_metadata(self);
        } else if (st.scanning && !st.listing) {
          st.rescan_pending = true;
        }
      }
      return snapshot(st);
    },
    [=](unwatch_atom, repo_listener_actor listener) {
      self->demonitor(listener.address());
      self->state.listeners.erase(listener.address());
    },
    [=](caf::get_atom) { return snapshot(self->state); },
    [=](rescan_atom, bool priority) { start_scan(self, priority); },
    [=](scan_tick_atom, uint64_t gen) {
      if (gen != 0 && gen != self->state.tick_generation)
        return; // superseded by a rescan
      start_scan(self, false);
    },
  };
}

} // namespace fluxd
