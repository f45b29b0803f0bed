#include "actors/status_collector.hpp"

#include <algorithm>
#include <functional>

#include "caf/actor_cast.hpp"
#include "caf/event_based_actor.hpp"

#include "messages/registry.hpp"
#include "messages/sync.hpp"

namespace fluxd {

namespace {

using self_ptr =
    status_collector_actor::stateful_pointer<status_collector_state>;

std::string short_rev(const std::string& rev) {
  return rev.substr(0, 7);
}

ui::time_point wall(caf::timestamp t) {
  return std::chrono::time_point_cast<ui::time_point::duration>(t);
}

bool has_repository(self_ptr self) {
  return !self->state.cfg.repository.url.empty();
}

void record(self_ptr self, ui::event_kind kind, std::string text) {
  self->state.cfg.store->record(
      {std::chrono::system_clock::now(), kind, std::move(text)});
}

void publish(self_ptr self) {
  self->state.cfg.store->set_repositories({self->state.repo});
}

void on_status(self_ptr self, const git_status& st) {
  auto& repo = self->state.repo;
  if (!st.revision.empty() && st.revision != repo.revision) {
    record(self, ui::event_kind::commit,
           (repo.revision.empty() ? "Fetched " : "New head ")
               + short_rev(st.revision) + " on " + repo.branch);
    repo.revision = st.revision;
    repo.last_fetch = std::chrono::system_clock::now();
  }
  if (!st.error.empty() && st.error != repo.last_error)
    record(self, ui::event_kind::failure, "git: " + st.error);
  repo.status = st.status;
  repo.last_error = st.error;
  publish(self);
}

void on_marker(self_ptr self, const std::string& marker) {
  // Once the sync coordinator answers, its synced revision is the marker
  // (the mirror sees the tag only after its next fetch).
  if (self->state.sync_known)
    return;
  auto& repo = self->state.repo;
  if (marker != repo.sync_marker && !marker.empty())
    record(self, ui::event_kind::sync, "Sync marker at " + short_rev(marker));
  repo.sync_marker = marker;
  publish(self);
}

bool same_errors(const std::vector<ui::sync_error>& a,
                 const std::vector<ui::sync_error>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](auto& x, auto& y) {
                      return x.id == y.id && x.file == y.file
                             && x.error == y.error;
                    });
}

/// "2 resources failed: a, b" (at most three named).
std::string failed_text(const std::vector<ui::sync_error>& errors) {
  auto text = std::to_string(errors.size())
              + (errors.size() == 1 ? " resource" : " resources")
              + " failed: ";
  for (size_t i = 0; i < errors.size() && i < 3; ++i)
    text += (i ? ", " : "")
            + (errors[i].id.empty() ? errors[i].file : errors[i].id);
  if (errors.size() > 3)
    text += ", …";
  return text;
}

void on_sync(self_ptr self, const sync_status& s) {
  auto& st = self->state;
  auto& repo = st.repo;
  st.sync_known = true;
  if (!s.synced.empty() && s.synced != repo.sync_marker) {
    record(self, ui::event_kind::sync, "Synced " + short_rev(s.synced));
    repo.sync_marker = s.synced;
  }
  repo.syncing = s.in_progress;
  std::vector<ui::sync_error> errors;
  for (auto& e : s.errors)
    errors.push_back({e.id, e.source, e.error});
  if (!errors.empty() && !same_errors(errors, repo.sync_errors))
    record(self, ui::event_kind::failure,
           "Sync of " + short_rev(s.synced.empty() ? s.head : s.synced)
               + ": " + failed_text(errors));
  repo.sync_errors = std::move(errors);
  publish(self);
}

ui::registry_host_status to_ui(const registry_host_info& h) {
  ui::registry_host_status out;
  out.host = h.host;
  out.answering = h.answered;
  out.request_rate = h.rate;
  out.requests_last_minute = h.requests_last_minute;
  out.in_flight = h.in_flight;
  out.queued = h.queued;
  out.backing_off = h.backing_off;
  if (h.backing_off)
    out.backoff_until = wall(h.backoff_until);
  out.requests = h.requests;
  out.throttled = h.throttled;
  out.last_error = h.last_error;
  if (h.last_error_at != caf::timestamp{})
    out.last_error_at = wall(h.last_error_at);
  out.ratelimit_remaining = h.ratelimit_remaining;
  out.repositories = h.repositories;
  return out;
}

void on_hosts(self_ptr self, const std::vector<registry_host_info>& hosts) {
  auto& backing_off = self->state.hosts_backing_off;
  std::vector<ui::registry_host_status> out;
  std::set<std::string> now_backing_off;
  for (auto& h : hosts) {
    out.push_back(to_ui(h));
    if (!h.backing_off)
      continue;
    now_backing_off.insert(h.host);
    if (!backing_off.count(h.host))
      record(self, ui::event_kind::failure,
             "Registry " + h.host + " backing off"
                 + (h.last_error.empty() ? "" : ": " + h.last_error));
  }
  backing_off = std::move(now_backing_off);
  self->state.cfg.store->set_registry_hosts(std::move(out));
}

using found_fn = std::function<void(caf::actor)>;
using missing_fn = std::function<void(const caf::error&)>;

/// Walks `path` from `at`, one (get_atom, name) per step.
void find(self_ptr self, caf::actor at, std::vector<std::string> path,
          size_t step, found_fn found, missing_fn missing) {
  if (step == path.size()) {
    found(at);
    return;
  }
  auto name = path[step];
  self->request(at, self->state.cfg.timeout, caf::get_atom_v, name)
      .then(
          [=](caf::actor next) {
            find(self, next, path, step + 1, found, missing);
          },
          [=](caf::error& err) { missing(err); });
}

/// Asks the mirror, once found, for its status and the marker.
void ask_mirror(self_ptr self, git_mirror_actor mirror) {
  auto timeout = self->state.cfg.timeout;
  self->request(mirror, timeout, git_status_atom_v)
      .then([=](const git_status& st) { on_status(self, st); },
            [=](caf::error& err) {
              // A fetch in progress: the mirror answers next round.
              self->state.log.debug("git mirror did not answer",
                                    {{"err", to_string(err)}});
            });
  self->request(mirror, timeout, git_marker_atom_v)
      .then([=](const std::string& marker) { on_marker(self, marker); },
            [=](caf::error&) {});
}

void ask_sync(self_ptr self, sync_actor sync) {
  self->request(sync, self->state.cfg.timeout, sync_status_atom_v)
      .then([=](const sync_status& s) { on_sync(self, s); },
            [=](caf::error& err) {
              self->state.log.debug("sync coordinator did not answer",
                                    {{"err", to_string(err)}});
            });
}

/// The scanner waits up to its own timeout for each host actor, so it
/// gets twice ours.
void ask_scanner(self_ptr self, registry_scanner_actor scanner) {
  self->request(scanner, self->state.cfg.timeout * 2, registry_hosts_atom_v)
      .then(
          [=](const std::vector<registry_host_info>& hosts) {
            on_hosts(self, hosts);
          },
          [=](caf::error& err) {
            self->state.log.debug("registry scanner did not answer",
                                  {{"err", to_string(err)}});
          });
}

void collect(self_ptr self) {
  auto& cfg = self->state.cfg;
  if (has_repository(self)) {
    find(
        self, cfg.root, cfg.mirror_path, 0,
        [=](caf::actor a) {
          ask_mirror(self, caf::actor_cast<git_mirror_actor>(a));
        },
        [=](const caf::error& err) {
          // No mirror (no --git-url, or it is restarting).
          auto& repo = self->state.repo;
          if (repo.status != "unavailable") {
            repo.status = "unavailable";
            publish(self);
          }
          self->state.log.debug("no git mirror", {{"err", to_string(err)}});
        });
    find(
        self, cfg.root, cfg.sync_path, 0,
        [=](caf::actor a) { ask_sync(self, caf::actor_cast<sync_actor>(a)); },
        [=](const caf::error& err) {
          // No Kubernetes configuration, or the coordinator is restarting.
          self->state.log.debug("no sync coordinator",
                                {{"err", to_string(err)}});
        });
  }
  find(
      self, cfg.root, cfg.scanner_path, 0,
      [=](caf::actor a) {
        ask_scanner(self, caf::actor_cast<registry_scanner_actor>(a));
      },
      [=](const caf::error& err) {
        self->state.cfg.store->set_registry_hosts(std::nullopt);
        self->state.log.debug("no registry scanner",
                              {{"err", to_string(err)}});
      });
}

} // namespace

status_collector_actor::behavior_type status_collector(
    status_collector_actor::stateful_pointer<status_collector_state> self,
    status_collector_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.repo = self->state.cfg.repository;
  if (self->state.repo.status.empty())
    self->state.repo.status = "new";
  if (has_repository(self))
    publish(self);
  self->send(self, caf::tick_atom_v);
  return {
      [=](caf::tick_atom) {
        collect(self);
        self->delayed_send(self, self->state.cfg.interval, caf::tick_atom_v);
      },
  };
}

} // namespace fluxd
