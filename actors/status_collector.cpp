#include "actors/status_collector.hpp"

#include "caf/actor_cast.hpp"
#include "caf/event_based_actor.hpp"

namespace fluxd {

namespace {

using self_ptr =
    status_collector_actor::stateful_pointer<status_collector_state>;

std::string short_rev(const std::string& rev) {
  return rev.substr(0, 7);
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
  auto& repo = self->state.repo;
  if (marker != repo.sync_marker && !marker.empty())
    record(self, ui::event_kind::sync, "Sync marker at " + short_rev(marker));
  repo.sync_marker = marker;
  publish(self);
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

/// Walks `mirror_path` from the root, one (get_atom, name) per step.
void find_mirror(self_ptr self, caf::actor at, size_t step) {
  auto& path = self->state.cfg.mirror_path;
  if (step == path.size()) {
    ask_mirror(self, caf::actor_cast<git_mirror_actor>(at));
    return;
  }
  self->request(at, self->state.cfg.timeout, caf::get_atom_v, path[step])
      .then([=](caf::actor next) { find_mirror(self, next, step + 1); },
            [=](caf::error& err) {
              // No mirror (no --git-url, or it is restarting).
              auto& repo = self->state.repo;
              if (repo.status != "unavailable") {
                repo.status = "unavailable";
                publish(self);
              }
              self->state.log.debug("no git mirror", {{"err", to_string(err)}});
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
  publish(self);
  self->send(self, caf::tick_atom_v);
  return {
      [=](caf::tick_atom) {
        find_mirror(self, self->state.cfg.root, 0);
        self->delayed_send(self, self->state.cfg.interval, caf::tick_atom_v);
      },
  };
}

} // namespace fluxd
