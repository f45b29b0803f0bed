#include "actors/sync_coordinator.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "caf/actor_cast.hpp"
#include "caf/send.hpp"
#include "caf/system_messages.hpp"

#include "actors/handlers.hpp"
#include "actors/kube_watcher.hpp"
#include "actors/kube_worker.hpp"
#include "actors/resource_actor.hpp"
#include "adapters/metrics/fluxd_metrics.hpp"
#include "adapters/sync/desired.hpp"
#include "adapters/sync/event.hpp"

namespace fluxd {

namespace {

using self_ptr = sync_impl::stateful_pointer<sync_coordinator_state>;

constexpr std::size_t max_results = 50;

void start_sync(self_ptr self, const std::string& revision);
void run_stage(self_ptr self, int stage);
bool on_watcher_down(self_ptr self, const caf::down_msg& msg);

/// Whether run `id` is still the one in progress (not abandoned).
bool current(self_ptr self, uint64_t id) {
  return self->state.run && self->state.run->id == id;
}

kube_worker_actor next_worker(self_ptr self) {
  auto& st = self->state;
  return st.workers[st.next_worker++ % st.workers.size()];
}

void set_ready(self_ptr self, const char* what, bool ready,
               const std::string& reason = {}) {
  if (auto* r = self->state.config.readiness)
    r->set(what, ready, reason);
}

// -- resource actors ---------------------------------------------------------

caf::actor spawn_resource(self_ptr self, const std::string& id) {
  auto& cfg = self->state.config;
  resource_config rc;
  rc.id = id;
  rc.worker = next_worker(self);
  rc.retry_initial = cfg.retry_initial;
  rc.retry_max = cfg.retry_max;
  rc.request_timeout = cfg.timeout;
  rc.coordinator = caf::actor_cast<caf::actor>(self);
  auto handle = caf::actor_cast<caf::actor>(self->spawn(resource, rc));
  self->state.children->insert(handle);
  self->monitor(handle);
  self->state.actors[id] = handle;
  self->state.ids[handle.address()] = id;
  return handle;
}

void stop_resource(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.actors.find(id);
  if (it == st.actors.end())
    return;
  st.ids.erase(it->second.address());
  st.settled.erase(id);
  st.children->erase(it->second);
  self->send_exit(it->second, caf::exit_reason::user_shutdown);
  st.actors.erase(it);
}

void on_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (on_watcher_down(self, msg))
    return;
  if (msg.source == st.mirror_addr) {
    st.log.warn("git mirror went away; subscribing again");
    self->delayed_send(self, st.config.retry_initial, git_sub_atom_v);
    return;
  }
  auto it = st.ids.find(msg.source);
  if (it == st.ids.end())
    return;
  auto id = it->second;
  st.ids.erase(it);
  st.settled.erase(id);
  if (auto a = st.actors.find(id); a != st.actors.end()) {
    st.children->erase(a->second);
    st.actors.erase(a);
  }
  auto d = st.desired.find(id);
  if (d == st.desired.end())
    return;
  ++st.restarts;
  st.log.warn("resource actor stopped; restarting it",
              {{"resource", id}, {"reason", self->system().render(msg.reason)}});
  // It rebuilds from the last loaded revision and a fresh read.
  auto handle = caf::actor_cast<resource_actor>(spawn_resource(self, id));
  self->request(handle, st.config.timeout, desired_atom_v, d->second)
    .then([](const apply_outcome&) {}, [](caf::error&) {});
}

// -- watches -----------------------------------------------------------------

void start_watch(self_ptr self, const std::string& key) {
  auto& st = self->state;
  auto& w = st.watches[key];
  w.config.cancel = std::make_shared<kube::stream_cancel>();
  st.cancels->push_back(w.config.cancel);
  w.actor = caf::actor_cast<caf::actor>(
    self->spawn<caf::detached>(kube_watcher, w.config));
  st.watch_keys[w.actor.address()] = key;
  self->monitor(w.actor);
  self->send(caf::actor_cast<kube_watcher_actor>(w.actor), watch_kind_atom_v);
}

/// The watch key of a desired resource: "apiVersion|Kind|" or, with
/// --k8s-allow-namespace, "apiVersion|Kind|namespace"; "" for kinds never
/// watched. Excluded kinds are applied but never listed (Flux v1 §7.11): no
/// drift events for them, and no garbage collection.
std::string watch_key(self_ptr self, const desired_state& d) {
  auto& st = self->state;
  if (sync::excluded_kind(st.config.cluster.exclude_resources, d.api_version,
                          d.kind))
    return {};
  std::string ns;
  if (!d.ns.empty() && !st.config.cluster.allow_namespaces.empty())
    ns = d.ns;
  return d.api_version + "|" + d.kind + "|" + ns;
}

void ensure_watch(self_ptr self, const desired_state& d) {
  auto& st = self->state;
  auto key = watch_key(self, d);
  if (key.empty() || st.watches.count(key))
    return;
  auto& wc = st.watches[key].config;
  wc.client = st.config.client;
  wc.api_version = d.api_version;
  wc.kind = d.kind;
  wc.ns = key.substr(key.rfind('|') + 1);
  wc.sink = caf::actor_cast<caf::actor>(self);
  wc.key = key;
  wc.max_backoff = std::chrono::duration_cast<std::chrono::milliseconds>(
    st.config.retry_max);
  start_watch(self, key);
}

/// A watcher ended (it crashed, was killed, or its stream failed for good):
/// start another after a back-off; its listing brings the resource actors
/// up to date with what they missed.
bool on_watcher_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto it = st.watch_keys.find(msg.source);
  if (it == st.watch_keys.end())
    return false;
  auto key = it->second;
  st.watch_keys.erase(it);
  auto& w = st.watches[key];
  w.actor = nullptr;
  auto delay = st.config.retry_initial;
  for (uint32_t i = 0; i < w.failures && delay < st.config.retry_max; ++i)
    delay *= 2;
  delay = std::min(delay, st.config.retry_max);
  ++w.failures;
  st.log.warn("watcher stopped; restarting it",
              {{"watch", key},
               {"reason", self->system().render(msg.reason)},
               {"retry_in_ms",
                std::chrono::duration_cast<std::chrono::milliseconds>(delay)
                  .count()}});
  self->delayed_send(self, delay, watch_restart_atom_v, key);
  return true;
}

/// The resource actor of a desired ID, spawned when missing: a listing
/// reaches it before its first desired state, so it need not read first.
caf::actor actor_of(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto a = st.actors.find(id);
  if (a != st.actors.end())
    return a->second;
  if (!st.desired.count(id))
    return {};
  return spawn_resource(self, id);
}

void on_listed(self_ptr self, const std::string& key,
               const std::vector<std::string>& ids) {
  auto& st = self->state;
  if (auto w = st.watches.find(key); w != st.watches.end()) {
    w->second.failures = 0;
    w->second.listed = true;
  }
  std::set<std::string> listed(ids.begin(), ids.end());
  for (const auto& [id, d] : st.desired) {
    auto prefix = d.api_version + "|" + d.kind + "|";
    if (key.rfind(prefix, 0) != 0 || listed.count(id))
      continue;
    auto ns = key.substr(prefix.size());
    if (!ns.empty() && ns != d.ns)
      continue;
    if (auto a = actor_of(self, id))
      self->send(caf::actor_cast<resource_actor>(a),
                 // The watches list whole kinds (every object, not only
                 // fluxd's: an unmarked one may carry `ignore`), so an
                 // actor that knows nothing yet takes this as absent; one
                 // that knew the object reads it again.
                 live_event{id, live_event::state::not_listed, nullptr});
  }
  if (st.run && st.run->listings.erase(key) && st.run->listings.empty())
    run_stage(self, st.run->stage);
}

// -- one sync ----------------------------------------------------------------

void schedule_tick(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.config.interval, sync_tick_atom_v,
                     ++st.tick_generation);
}

void record(self_ptr self, sync_result result) {
  auto& st = self->state;
  auto rev = result.revision;
  if (!st.results.count(rev))
    st.result_order.push_back(rev);
  st.results[rev] = std::move(result);
  st.latest = rev;
  while (st.result_order.size() > max_results) {
    st.results.erase(st.result_order.front());
    st.result_order.pop_front();
  }
}

void move_marker(self_ptr self, const std::string& revision) {
  auto& st = self->state;
  if (revision == st.synced)
    return;
  auto done = [=](const std::string&) {
    self->state.synced = revision;
    self->state.log.info("sync marker moved", {{"revision", revision}});
  };
  auto failed = [=](caf::error& err) {
    self->state.log.warn("cannot move the sync marker",
                         {{"revision", revision}, {"err", error_text(err)}});
  };
  if (st.config.secret_state)
    self
      ->request(next_worker(self), st.config.timeout, secret_marker_atom_v,
                revision)
      .then(done, failed);
  else if (st.config.writer)
    self
      ->request(st.config.writer(), st.config.timeout, git_tag_atom_v,
                revision)
      .then(done, failed);
}

event_sink_actor event_sink(self_ptr self) {
  auto& events = self->state.config.events;
  return events ? events() : event_sink_actor{};
}

void send_event(self_ptr self, const sync::sync_event& ev) {
  if (auto sink = event_sink(self))
    self->send(sink, fluxd_event{"sync", sync::event_json(ev),
                                 caf::make_timestamp()});
}

/// Reads the job notes of the commits from `next` on (one request at a
/// time, bounded), then sends the event.
void read_notes(self_ptr self, std::shared_ptr<sync::sync_event> ev,
                std::size_t next) {
  constexpr std::size_t max_notes = 100;
  auto mirror = self->state.config.mirror();
  if (next >= std::min(ev->commits.size(), max_notes) || !mirror) {
    send_event(self, *ev);
    return;
  }
  self
    ->request(mirror, self->state.config.timeout, git_note_atom_v,
              ev->commits[next].revision)
    .then(
      [=](const git_commit_note& n) {
        if (n.found)
          ev->commits[next].note = n.text;
        read_notes(self, ev, next + 1);
      },
      [=](caf::error&) { read_notes(self, ev, next + 1); });
}

/// Flux v1's sync event: the commits from the old marker to the synced
/// revision (none: no event), their kinds from the notes, the changed
/// resources and the per-resource errors.
void emit_sync_event(self_ptr self, const std::string& from,
                     const sync_run& run) {
  auto& st = self->state;
  auto mirror = st.config.mirror ? st.config.mirror() : git_mirror_actor{};
  if (!event_sink(self) || !mirror)
    return;
  auto ev = std::make_shared<sync::sync_event>();
  ev->initial = from.empty();
  ev->changed = run.changed;
  for (const auto& e : run.result.errors)
    ev->errors.push_back({e.id, e.source, e.error});
  ev->started = run.wall_started;
  ev->ended = std::chrono::system_clock::now();
  auto revision = run.revision;
  self
    ->request(mirror, st.config.timeout, git_log_atom_v, from, revision,
              false)
    .then(
      [=](const git_log& log) {
        for (const auto& c : log.commits)
          ev->commits.push_back({c.revision, c.subject, ""});
        if (ev->commits.empty())
          return;
        if (ev->initial)
          send_event(self, *ev);
        else
          read_notes(self, ev, 0);
      },
      [=](caf::error& err) {
        self->state.log.warn("no sync event: cannot read the commits",
                             {{"revision", revision},
                              {"err", self->system().render(err)}});
      });
}

void finish(self_ptr self, bool success, const std::string& error) {
  auto& st = self->state;
  auto& run = *st.run;
  auto& r = run.result;
  r.revision = run.revision;
  r.success = success;
  r.error = error;
  r.duration_seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - run.started)
                         .count();
  r.finished_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto& m = metrics::standard();
  m.sync_duration.with({success ? "true" : "false"}).observe(r.duration_seconds);
  if (success) {
    auto total = static_cast<double>(run.resources.size());
    m.sync_manifests.with({"true"}).set(total - r.failed);
    m.sync_manifests.with({"false"}).set(r.failed);
    st.log.info("sync finished",
                {{"revision", r.revision},
                 {"applied", r.applied},
                 {"unchanged", r.unchanged},
                 {"ignored", r.ignored},
                 {"failed", r.failed},
                 {"deleted", r.deleted},
                 {"errors", static_cast<int64_t>(r.errors.size())},
                 {"took", r.duration_seconds}});
    emit_sync_event(self, st.synced, run);
    move_marker(self, r.revision);
    st.retry_delay = caf::timespan{0};
    schedule_tick(self);
  } else {
    auto& d = st.retry_delay;
    d = d.count() == 0 ? st.config.retry_initial
                       : std::min(d * 2, st.config.retry_max);
    st.log.warn("sync failed; will retry",
                {{"revision", r.revision},
                 {"err", error},
                 {"retry_in_ms",
                  std::chrono::duration_cast<std::chrono::milliseconds>(d)
                    .count()}});
    self->delayed_send(self, d, sync_retry_atom_v, ++st.retry_generation);
  }
  record(self, std::move(r));
  st.run.reset();
  if (st.pending) {
    st.pending = false;
    start_sync(self, st.head);
  }
}

void collect_garbage(self_ptr self, std::vector<sync::gc_decision> plan,
                     std::size_t next) {
  auto& st = self->state;
  for (; next < plan.size(); ++next) {
    const auto& o = plan[next].object;
    using act = sync::gc_decision::action;
    if (plan[next].what == act::skip_ignored) {
      st.log.info("cluster resource not in resources to be synced; ignored",
                  {{"resource", o.id}});
      continue;
    }
    if (plan[next].what == act::skip_not_updated) {
      st.log.warn("resource to be synced has not been updated; skipping",
                  {{"resource", o.id}});
      continue;
    }
    if (plan[next].what != act::remove)
      continue;
    bool dry = !st.config.gc;
    st.log.info("cluster resource not in resources to be synced; deleting",
                {{"resource", o.id}, {"dry-run", dry}});
    ++st.run->result.deleted;
    if (dry)
      continue;
    marked_ref ref{o.id,   o.api_version, o.kind,   o.ns, o.name,
                   o.mark, o.checksum,    o.ignore, o.owned};
    auto id = st.run->id;
    self->request(next_worker(self), st.config.timeout, kube_delete_atom_v,
                  ref, false)
      .then(
        [=](bool) {
          if (current(self, id))
            collect_garbage(self, plan, next + 1);
        },
        [=](caf::error& err) {
          if (!current(self, id))
            return;
          auto& run = *self->state.run;
          run.result.errors.push_back({o.id, "", error_text(err)});
          if (is_unreachable(err))
            run.unreachable = true;
          collect_garbage(self, plan, next + 1);
        });
    return;
  }
  auto& run = *st.run;
  if (run.unreachable)
    finish(self, false, "the Kubernetes API server is unreachable");
  else
    finish(self, true, "");
}

void after_apply(self_ptr self) {
  auto& st = self->state;
  auto& run = *st.run;
  if (run.unreachable) {
    finish(self, false, "the Kubernetes API server is unreachable");
    return;
  }
  set_ready(self, "cluster", true);
  if (!(st.config.gc || st.config.gc_dry)) {
    finish(self, true, "");
    return;
  }
  if (run.load_errors) {
    st.log.warn("not garbage collecting: some manifests did not load",
                {{"revision", run.revision}});
    finish(self, true, "");
    return;
  }
  std::map<std::string, std::string> checksums;
  for (const auto& [id, d] : st.desired)
    checksums[id] = d.checksum;
  auto id = run.id;
  self->request(next_worker(self), st.config.timeout, gc_scan_atom_v)
    .then(
      [=](const std::vector<marked_ref>& refs) {
        if (!current(self, id))
          return;
        std::vector<sync::marked_object> live;
        for (const auto& r : refs)
          live.push_back({r.id, r.api_version, r.kind, r.ns, r.name, r.mark,
                          r.checksum, r.ignore, r.owned});
        auto plan = sync::gc_plan(live, self->state.config.cluster.set_name,
                                  checksums);
        collect_garbage(self, std::move(plan), 0);
      },
      [=](caf::error& err) {
        if (current(self, id))
          finish(self, false, "garbage collection: " + error_text(err));
      });
}

void on_outcome(self_ptr self, const std::string& id, const std::string& source,
                const std::string& checksum, const apply_outcome& o) {
  auto& run = *self->state.run;
  auto& r = run.result;
  if (o.status == "applied" || o.status == "unchanged")
    self->state.settled[id] = checksum;
  if (o.status == "applied")
    ++r.applied;
  else if (o.status == "unchanged")
    ++r.unchanged;
  else if (o.status == "ignored")
    ++r.ignored;
  else {
    ++r.failed;
    r.errors.push_back({id, source, o.error});
    if (o.unreachable)
      run.unreachable = true;
  }
  if (--run.outstanding == 0)
    run_stage(self, run.stage + 1);
}

void run_stage(self_ptr self, int stage) {
  auto& st = self->state;
  auto& run = *st.run;
  for (; stage <= 4; ++stage) {
    std::vector<const desired_state*> batch;
    for (const auto* d : run.resources)
      if (d->rank == stage)
        batch.push_back(d);
    if (batch.empty())
      continue;
    run.stage = stage;
    if (run.waited_stage != stage) {
      run.waited_stage = stage;
      run.listings.clear();
      for (const auto* d : batch) {
        auto key = watch_key(self, *d);
        if (auto w = st.watches.find(key);
            w != st.watches.end() && !w->second.listed)
          run.listings.insert(key);
      }
      if (!run.listings.empty()) {
        self->delayed_send(self, st.config.list_wait, stage_wait_atom_v,
                           run.id, static_cast<int32_t>(stage));
        return;
      }
    }
    run.listings.clear();
    run.outstanding = 0;
    for (const auto* d : batch) {
      auto a = st.actors.find(d->id);
      if (a != st.actors.end()) {
        auto s = st.settled.find(d->id);
        if (s != st.settled.end() && s->second == d->checksum) {
          ++run.result.unchanged;
          continue;
        }
      }
      ++run.outstanding;
      auto handle = a == st.actors.end() ? spawn_resource(self, d->id)
                                         : a->second;
      auto run_id = run.id;
      auto id = d->id;
      auto source = d->source;
      auto checksum = d->checksum;
      self
        ->request(caf::actor_cast<resource_actor>(handle), st.config.timeout,
                  desired_atom_v, *d)
        .then(
          [=](const apply_outcome& o) {
            if (current(self, run_id))
              on_outcome(self, id, source, checksum, o);
          },
          [=](caf::error& err) {
            if (current(self, run_id))
              on_outcome(self, id, source, checksum,
                         {id, "failed", error_text(err),
                          is_unreachable(err)});
          });
    }
    if (run.outstanding > 0)
      return;
  }
  after_apply(self);
}

/// Stages the resources of `desired` in kind order.
void apply_desired(self_ptr self) {
  auto& st = self->state;
  auto& run = *st.run;
  run.resources.clear();
  for (const auto& [id, d] : st.desired)
    run.resources.push_back(&d);
  std::stable_sort(run.resources.begin(), run.resources.end(),
                   [](const auto* a, const auto* b) {
                     return a->rank < b->rank;
                   });
  for (const auto* d : run.resources)
    ensure_watch(self, *d);
  run_stage(self, 0);
}

void begin_apply(self_ptr self, prepared_set set) {
  auto& st = self->state;
  auto& run = *st.run;
  run.load_errors = !set.errors.empty();
  for (const auto& e : set.errors) {
    st.log.error("cannot load manifests", {{"file", e.source},
                                            {"err", e.error}});
    run.result.errors.push_back(e);
  }
  for (const auto& w : set.warnings)
    st.log.warn(w);
  if (!set.excluded.empty())
    st.log.warn("not applying resources; excluded by namespace constraints",
                {{"resources", static_cast<int64_t>(set.excluded.size())}});
  std::set<std::string> broken;
  for (const auto& e : set.errors)
    broken.insert(e.source);
  std::map<std::string, desired_state> next;
  for (auto& d : set.resources) {
    auto id = d.id;
    next[id] = std::move(d);
  }
  // A file that does not load keeps its resources as they were.
  for (const auto& [id, d] : st.desired)
    if (!next.count(id) && broken.count(d.source))
      next[id] = d;
  for (const auto& [id, d] : st.desired)
    if (!next.count(id))
      stop_resource(self, id);
  for (const auto& [id, d] : next)
    if (auto old = st.desired.find(id);
        old == st.desired.end() || old->second.checksum != d.checksum)
      run.changed.push_back(id);
  st.desired = std::move(next);
  apply_desired(self);
}

void start_sync(self_ptr self, const std::string& revision) {
  auto& st = self->state;
  if (revision.empty())
    return;
  if (st.run) {
    st.pending = true;
    return;
  }
  st.run.emplace();
  auto id = st.run->id = ++st.runs;
  st.run->revision = revision;
  st.run->started = std::chrono::steady_clock::now();
  st.run->wall_started = std::chrono::system_clock::now();
  st.log.info("trying to sync git changes to the cluster",
              {{"old", st.synced}, {"new", revision}});
  // Flux v1 gives the whole sync one deadline (§7.6).
  self->delayed_send(self, st.config.timeout, sync_deadline_atom_v, id);
  if (!st.clean_revision.empty() && st.clean_revision == revision) {
    apply_desired(self);
    return;
  }
  auto mirror = st.config.mirror();
  if (!mirror) {
    finish(self, false, "git mirror not running");
    return;
  }
  self
    ->request(mirror, st.config.timeout, git_read_atom_v, revision,
              std::vector<std::string>{})
    .then(
      [=](git_files& files) {
        if (!current(self, id))
          return;
        self
          ->request(next_worker(self), self->state.config.timeout,
                    kube_prepare_atom_v, std::move(files))
          .then(
            [=](prepared_set& set) {
              if (!current(self, id))
                return;
              // Only a clean load is reused: one with errors may load
              // differently once the cluster knows more (a CRD applied).
              bool clean = set.errors.empty() && set.warnings.empty();
              self->state.clean_revision = clean ? revision : std::string();
              begin_apply(self, std::move(set));
            },
            [=](caf::error& err) {
              if (!current(self, id))
                return;
              if (is_unreachable(err))
                set_ready(self, "cluster", false, error_text(err));
              finish(self, false, "loading manifests: " + error_text(err));
            });
      },
      [=](caf::error& err) {
        if (current(self, id))
          finish(self, false, "reading git: " + self->system().render(err));
      });
}

/// The whole-sync deadline passed: abandon the run. What was applied stays
/// applied; late answers are dropped; the retry syncs the head again.
void on_deadline(self_ptr self, uint64_t id) {
  if (!current(self, id))
    return;
  auto secs = std::chrono::duration<double>(self->state.config.timeout);
  std::ostringstream os;
  os << "sync timed out after " << secs.count() << "s";
  finish(self, false, os.str());
}

// -- git ---------------------------------------------------------------------

void subscribe(self_ptr self) {
  auto& st = self->state;
  auto mirror = st.config.mirror ? st.config.mirror() : git_mirror_actor{};
  if (!mirror) {
    self->delayed_send(self, st.config.retry_initial, git_sub_atom_v);
    return;
  }
  st.mirror_addr = mirror.address();
  self->monitor(mirror);
  self
    ->request(mirror, st.config.timeout, git_sub_atom_v,
              caf::actor_cast<git_listener_actor>(self))
    .then(
      [](const git_status&) {},
      [=](caf::error& err) {
        self->state.log.warn("cannot subscribe to git",
                             {{"err", self->system().render(err)}});
        self->delayed_send(self, self->state.config.retry_initial,
                           git_sub_atom_v);
      });
  if (!st.config.secret_state)
    self->request(mirror, st.config.timeout, git_marker_atom_v)
      .then(
        [=](const std::string& rev) {
          if (self->state.synced.empty())
            self->state.synced = rev;
        },
        [](caf::error&) {});
}

} // namespace

sync_impl::behavior_type
sync_coordinator(sync_impl::stateful_pointer<sync_coordinator_state> self,
                 sync_coordinator_config config) {
  install_handlers(self, self->state.log);
  auto& st = self->state;
  st.config = std::move(config);
  st.cancels =
    std::make_shared<std::vector<std::shared_ptr<kube::stream_cancel>>>();
  st.children = std::make_shared<std::set<caf::actor>>();
  auto cancels = st.cancels;
  auto children = st.children;
  // Watches block their threads and resource actors are not linked (their
  // crashes must not take this actor down): end them when this one ends.
  self->attach_functor([cancels, children] {
    for (auto& c : *cancels)
      c->cancel();
    for (auto& a : *children)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    children->clear();
  });
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });

  auto ops = std::make_shared<sync::cluster_ops>(*st.config.client,
                                                 st.config.cluster);
  for (int i = 0; i < std::max(1, st.config.workers); ++i)
    st.workers.push_back(
      self->spawn<caf::detached + caf::linked>(kube_worker, ops));
  set_ready(self, "cluster", false, "not synced yet");
  if (st.config.secret_state)
    self
      ->request(next_worker(self), st.config.timeout, secret_marker_atom_v,
                std::string{})
      .then([=](const std::string& rev) { self->state.synced = rev; },
            [=](caf::error& err) {
              self->state.log.warn("cannot read the sync marker secret",
                                   {{"err", error_text(err)}});
            });
  subscribe(self);
  return {
    [=](const git_revision& r) {
      self->state.head = r.revision;
      start_sync(self, r.revision);
    },
    [=](sync_now_atom) -> caf::result<std::string> {
      auto rp = self->make_response_promise<std::string>();
      auto mirror = self->state.config.mirror();
      if (!mirror)
        return caf::make_error(sync_errc::other, "git mirror not running");
      self->request(mirror, self->state.config.timeout, git_fetch_atom_v)
        .then(
          [=](const git_status& s) mutable {
            if (!s.revision.empty()) {
              self->state.head = s.revision;
              start_sync(self, s.revision);
            }
            rp.deliver(s.revision);
          },
          [=](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [=](sync_status_atom) {
      auto& st = self->state;
      sync_status s;
      s.head = st.head;
      s.synced = st.synced;
      s.in_progress = st.run ? st.run->revision : std::string();
      s.resources = static_cast<int32_t>(st.actors.size());
      s.restarts = st.restarts;
      if (auto it = st.results.find(st.latest); it != st.results.end())
        s.errors = it->second.errors;
      return s;
    },
    [=](sync_result_atom,
        const std::string& revision) -> caf::result<sync_result> {
      auto& st = self->state;
      auto it = st.results.find(revision.empty() ? st.latest : revision);
      if (it == st.results.end())
        return caf::make_error(sync_errc::other,
                               "no sync of revision '" + revision + "'");
      return it->second;
    },
    [=](sync_errors_atom) {
      auto& st = self->state;
      std::vector<resource_error> out;
      if (auto it = st.results.find(st.latest); it != st.results.end())
        for (const auto& e : it->second.errors)
          if (!e.id.empty())
            out.push_back(e);
      return out;
    },
    [=](resource_atom, const std::string& id) -> caf::result<caf::actor> {
      auto& st = self->state;
      auto it = st.actors.find(id);
      if (it == st.actors.end())
        return caf::make_error(sync_errc::other, "no resource " + id);
      return it->second;
    },
    [=](std::vector<live_event>& events) {
      for (auto& e : events)
        if (auto a = actor_of(self, e.id))
          self->send(caf::actor_cast<resource_actor>(a), std::move(e));
    },
    [=](unsettled_atom, const std::string& id) {
      self->state.settled.erase(id);
    },
    [=](stage_wait_atom, uint64_t id, int32_t stage) {
      auto& st = self->state;
      if (!current(self, id) || st.run->stage != stage
          || st.run->listings.empty())
        return;
      st.log.debug("stage goes on without all listings",
                   {{"stage", stage},
                    {"waiting", static_cast<int64_t>(
                                  st.run->listings.size())}});
      run_stage(self, stage);
    },
    [=](watch_synced_atom, const std::string& key,
        const std::vector<std::string>& ids) { on_listed(self, key, ids); },
    [=](sync_tick_atom, uint64_t generation) {
      if (generation == self->state.tick_generation)
        start_sync(self, self->state.head);
    },
    [=](sync_retry_atom, uint64_t generation) {
      if (generation == self->state.retry_generation)
        start_sync(self, self->state.head);
    },
    [=](git_sub_atom) { subscribe(self); },
    [=](sync_deadline_atom, uint64_t id) { on_deadline(self, id); },
    [=](watch_restart_atom, const std::string& key) {
      auto it = self->state.watches.find(key);
      if (it != self->state.watches.end() && !it->second.actor)
        start_watch(self, key);
    },
    [=](watchers_atom, const std::string& kind) -> caf::result<caf::actor> {
      for (const auto& [key, w] : self->state.watches)
        if (key.rfind(kind + "|", 0) == 0 && w.actor)
          return w.actor;
      return caf::make_error(sync_errc::other, "no watcher of " + kind);
    },
  };
}

} // namespace fluxd
