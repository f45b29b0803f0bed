#include "actors/job_queue.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include "caf/result.hpp"

#include "actors/handlers.hpp"
#include "adapters/image/ref.hpp"
#include "adapters/manifests/workload.hpp"
#include "adapters/release/planner.hpp"
#include "adapters/release/policy_job.hpp"

namespace fluxd {

namespace {

using self_ptr = job_queue_impl::stateful_pointer<job_queue_state>;
using release::job_state;
using release::job_status;
using release::update_spec;

job_info to_info(const job_status& s) {
  return {s.id, release::to_string(s.state), s.error, s.revision,
          release::status_json(s)};
}

bool final_state(job_state s) {
  return s == job_state::succeeded || s == job_state::failed;
}

void set_status(self_ptr self, job_status s) {
  auto& st = self->state;
  if (!st.statuses.count(s.id)) {
    st.status_order.push_back(s.id);
    while (st.status_order.size() > st.cfg.keep_statuses) {
      st.statuses.erase(st.status_order.front());
      st.status_order.pop_front();
    }
  }
  auto id = s.id;
  bool done = final_state(s.state);
  st.statuses[id] = std::move(s);
  if (!done)
    return;
  auto info = to_info(st.statuses[id]);
  auto range = st.waiters.equal_range(id);
  for (auto it = range.first; it != range.second; ++it)
    it->second.deliver(info);
  st.waiters.erase(range.first, range.second);
  auto plans = st.plan_replies.equal_range(id);
  for (auto it = plans.first; it != plans.second; ++it)
    it->second.deliver(id);
  st.plan_replies.erase(plans.first, plans.second);
}

/// Images the release can choose from, by canonical repository.
using images_ptr = std::shared_ptr<release::image_index>;

release::repo_images to_repo_images(const repo_snapshot& s) {
  release::repo_images out;
  out.tags = s.tags;
  for (auto& m : s.images)
    out.created[m.tag] =
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(
        m.created);
  return out;
}

void defer(self_ptr self, caf::timespan delay, std::function<void()> f) {
  auto id = self->state.next_deferred++;
  self->state.deferred.emplace(id, std::move(f));
  self->delayed_send(self, delay, job_next_atom_v, id);
}

/// Releases need every tag's metadata (time orderings): watch the
/// repository with creation times, then ask until its scan has them, for
/// up to `tries` times.
void get_scanned(self_ptr self, const std::string& image, int tries,
                 std::function<void(caf::expected<repo_snapshot>)> next,
                 bool first = true) {
  auto& cfg = self->state.cfg;
  auto handle = [=](const repo_snapshot& s) {
    bool complete = s.scans > 0 && s.images.size() >= s.tags.size();
    if (complete || tries <= 0) {
      next(s);
      return;
    }
    defer(self, std::chrono::milliseconds(100),
          [=] { get_scanned(self, image, tries - 1, next, false); });
  };
  auto on_error = [=](caf::error& e) { next(std::move(e)); };
  if (first)
    self
      ->request(cfg.scanner, cfg.job_timeout, watch_repo_atom_v, image,
                caf::actor_cast<repo_listener_actor>(self), true)
      .then(handle, on_error);
  else
    self->request(cfg.scanner, cfg.job_timeout, caf::get_atom_v, image)
      .then(handle, on_error);
}

/// Asks the scanner for every repository in `wanted` (image text → repo),
/// then calls `next` with what came back (failures count as empty).
void gather_images(self_ptr self, const std::map<std::string, std::string>&
                                      wanted,
                   std::function<void(images_ptr)> next) {
  auto images = std::make_shared<release::image_index>();
  if (wanted.empty() || !self->state.cfg.scanner) {
    next(images);
    return;
  }
  auto left = std::make_shared<size_t>(wanted.size());
  for (auto& [image, repo] : wanted) {
    auto done = [=] {
      if (--*left == 0)
        next(images);
    };
    // About ten seconds for a first scan.
    get_scanned(self, image, 100, [=](caf::expected<repo_snapshot> s) {
      if (s)
        (*images)[repo] = to_repo_images(*s);
      else
        self->state.log.warn("no image metadata for release",
                             {{"image", image},
                              {"err", self->system().render(s.error())}});
      done();
    });
  }
}

/// The images an image release needs: its one image, or every image of
/// every workload in git.
std::map<std::string, std::string>
wanted_images(const update_spec& spec, const manifests::load_result& git) {
  std::map<std::string, std::string> out;
  auto* s = std::get_if<release::image_spec>(&spec.spec);
  if (!s)
    return out;
  if (!s->latest()) {
    auto r = image::parse_ref(s->image);
    out[s->image] = r.canonical_name();
    return out;
  }
  for (auto& [id, r] : git.resources)
    for (auto& c : manifests::containers_of(r.node).containers)
      out[c.image.to_string()] = c.image.canonical_name();
  return out;
}

std::vector<git_file_change> to_changes(const manifests::file_map& m) {
  std::vector<git_file_change> out;
  for (auto& [path, content] : m)
    out.push_back({path, false, content});
  return out;
}

void emit(self_ptr self, const std::string& type, const std::string& json) {
  if (self->state.cfg.events)
    self->send(self->state.cfg.events,
               fluxd_event{type, json, caf::make_timestamp()});
}

/// The edit set for the writer: recomputed from the head it is applied to,
/// so that a push that lost a race is redone on what is there now. The
/// outcome of the last application lands in `applied`.
git_edit_fn edit_function(const update_spec& spec,
                          const std::vector<release::workload_update>& updates,
                          const manifests::load_options& load,
                          std::shared_ptr<release::result> applied) {
  return [=](const git_tree_reader& reader) {
    auto files = reader.files(load.paths);
    if (auto* p = std::get_if<release::policy_spec>(&spec.spec)) {
      auto out = release::apply_policies(*p, files, load);
      *applied = out.outcome;
      return to_changes(out.changed);
    }
    if (auto* a = std::get_if<release::auto_spec>(&spec.spec)) {
      // The head may already hold some of the changes (a duplicate check,
      // or a person's push): plan again on it.
      auto git = manifests::load(files, load);
      release::image_index none;
      auto plan = release::plan_auto_release(*a, {&git, &none, nullptr});
      *applied = plan.outcome;
      return to_changes(release::apply_updates(files, plan.updates, load));
    }
    return to_changes(release::apply_updates(files, updates, load));
  };
}

/// Records the final status; a queued job lets the next one start.
void finish(self_ptr self, job_status s, bool queued) {
  set_status(self, std::move(s));
  if (!queued)
    return;
  self->state.running = false;
  self->send(self, job_next_atom_v);
}

void fail(self_ptr self, job_status s, std::string error, bool queued) {
  s.state = job_state::failed;
  s.error = std::move(error);
  self->state.log.warn("job failed", {{"job", s.id}, {"err", s.error}});
  finish(self, std::move(s), queued);
}

/// Commits the job's edits through the writer, then records the outcome.
void commit(self_ptr self, job_status s,
            std::vector<release::workload_update> updates, bool queued) {
  auto& cfg = self->state.cfg;
  if (cfg.readonly) {
    fail(self, std::move(s), "cannot make a working clone of a read-only "
                             "git repo", queued);
    return;
  }
  auto applied = std::make_shared<release::result>(s.outcome);
  git_write_request req;
  req.edit = std::make_shared<const git_edit_fn>(
    edit_function(s.spec, updates, cfg.load, applied));
  // git_writer adds the ci-skip text and, with --git-set-author, makes
  // the cause's user the author.
  req.message = release::commit_message(s.spec, s.outcome);
  req.cause_user = s.spec.why.user;
  req.note = release::note_json(s.id, s.spec, s.outcome);
  bool is_auto = std::holds_alternative<release::auto_spec>(s.spec.spec);
  bool is_policy = std::holds_alternative<release::policy_spec>(s.spec.spec);
  self->request(cfg.writer, cfg.job_timeout, git_write_atom_v, std::move(req))
    .then(
      [=](const git_write_result& w) mutable {
        s.outcome = *applied;
        if (!w.changed) {
          // Automation may find a change git already has; that is not an
          // error. For a person's release it is (Flux v1's text).
          if (is_auto || is_policy) {
            s.state = job_state::succeeded;
            finish(self, std::move(s), queued);
          } else {
            fail(self, std::move(s), "no changes made in repo", queued);
          }
          return;
        }
        s.state = job_state::succeeded;
        s.revision = w.revision;
        self->state.log.info("job committed",
                             {{"job", s.id},
                              {"type", s.spec.type()},
                              {"revision", w.revision}});
        emit(self, "commit",
             release::commit_event_json(s.id, s.spec, s.outcome,
                                        w.revision));
        // Let the mirror (and so the sync) see the new head now.
        self->request(self->state.cfg.mirror, self->state.cfg.job_timeout,
                      git_fetch_atom_v)
          .then([](const git_status&) {}, [](caf::error&) {});
        if (is_policy) {
          auto& p = std::get<release::policy_spec>(s.spec.spec);
          bool automate = std::any_of(p.begin(), p.end(), [](auto& kv) {
            return kv.second.add.count(manifests::policy::automated) > 0;
          });
          if (automate)
            for (auto& a : self->state.auto_checkers)
              self->send(a, auto_check_atom_v);
        }
        finish(self, std::move(s), queued);
      },
      [=](caf::error& e) mutable {
        fail(self, std::move(s), self->system().render(e), queued);
      });
}

/// Plans (and for execute, commits) a job on the files of the head.
void run_on(self_ptr self, job_status s, const git_files& head,
            images_ptr images, bool queued) {
  auto& cfg = self->state.cfg;
  try {
    auto git = manifests::load(head.files, cfg.load);
    release::release_inputs in{&git, images.get(), nullptr};
    release::release_plan plan;
    bool execute = !s.spec.is_plan();
    if (auto* i = std::get_if<release::image_spec>(&s.spec.spec)) {
      plan = release::plan_image_release(*i, in);
    } else if (auto* c = std::get_if<release::containers_spec>(&s.spec.spec)) {
      plan = release::plan_containers_release(*c, in);
    } else if (auto* a = std::get_if<release::auto_spec>(&s.spec.spec)) {
      plan = release::plan_auto_release(*a, in);
    } else if (auto* p = std::get_if<release::policy_spec>(&s.spec.spec)) {
      auto out = release::apply_policies(*p, head.files, cfg.load);
      s.outcome = out.outcome;
      if (out.changed.empty()) {
        s.state = job_state::succeeded;
        finish(self, std::move(s), queued);
      } else {
        commit(self, std::move(s), {}, queued);
      }
      return;
    }
    s.outcome = plan.outcome;
    // A dry run also proves that the edit can be made.
    release::apply_updates(head.files, plan.updates, cfg.load);
    if (!execute || plan.updates.empty()) {
      s.state = job_state::succeeded;
      if (execute)
        emit(self, "release", release::note_json(s.id, s.spec, s.outcome));
      finish(self, std::move(s), queued);
      return;
    }
    commit(self, std::move(s), std::move(plan.updates), queued);
  } catch (const std::exception& e) {
    fail(self, std::move(s), e.what(), queued);
  }
}

void run(self_ptr self, job_status s, bool queued) {
  auto& cfg = self->state.cfg;
  s.state = job_state::running;
  set_status(self, s);
  self->state.log.info("job started", {{"job", s.id}, {"type", s.spec.type()}});
  if (std::holds_alternative<release::sync_spec>(s.spec.spec)) {
    self->request(cfg.mirror, cfg.job_timeout, git_fetch_atom_v)
      .then(
        [=](const git_status& g) mutable {
          if (g.status != "ready")
            return fail(self, std::move(s), "git repo not ready: " + g.error, queued);
          s.state = job_state::succeeded;
          s.revision = g.revision;
          finish(self, std::move(s), queued);
        },
        [=](caf::error& e) mutable {
          fail(self, std::move(s), self->system().render(e), queued);
        });
    return;
  }
  self->request(cfg.mirror, cfg.job_timeout, git_read_atom_v, std::string{},
                cfg.load.paths)
    .then(
      [=](git_files& head) mutable {
        std::map<std::string, std::string> wanted;
        try {
          wanted =
            wanted_images(s.spec, manifests::load(head.files, cfg.load));
        } catch (const std::exception& e) {
          return fail(self, std::move(s), e.what(), queued);
        }
        auto h = std::make_shared<git_files>(std::move(head));
        gather_images(self, wanted, [=](images_ptr images) {
          run_on(self, s, *h, images, queued);
        });
      },
      [=](caf::error& e) mutable {
        fail(self, std::move(s), "git repo not ready: " +
                                   self->system().render(e), queued);
      });
}

void start_next(self_ptr self) {
  auto& st = self->state;
  if (st.running || st.queue.empty())
    return;
  st.running = true;
  auto j = std::move(st.queue.front());
  st.queue.pop_front();
  job_status s;
  s.id = j.id;
  s.has_spec = true;
  s.spec = std::move(j.spec);
  run(self, std::move(s), true);
}

/// After a restart: the newest commits' notes, searched for the job.
void find_in_notes(self_ptr self, const std::string& id,
                   caf::typed_response_promise<job_info> promise) {
  auto& cfg = self->state.cfg;
  self->request(cfg.mirror, cfg.job_timeout, git_log_atom_v, std::string{},
                std::string{}, false)
    .then(
      [=](const git_log& log) mutable {
        auto revs = std::make_shared<std::vector<std::string>>();
        for (auto& c : log.commits) {
          if (revs->size() >= self->state.cfg.note_search_depth)
            break;
          revs->push_back(c.revision);
        }
        auto step = std::make_shared<std::function<void(size_t)>>();
        *step = [=](size_t i) mutable {
          if (i >= revs->size()) {
            promise.deliver(caf::make_error(job_errc::unknown_job,
                                            "unknown job \"" + id + "\""));
            *step = nullptr; // break the cycle
            return;
          }
          self
            ->request(self->state.cfg.mirror, self->state.cfg.job_timeout,
                      git_note_atom_v, (*revs)[i])
            .then(
              [=](const git_commit_note& n) mutable {
                auto note = n.found ? release::parse_note(n.text)
                                    : release::job_note{};
                if (note.ok && note.job_id == id) {
                  job_status s;
                  s.id = id;
                  s.state = job_state::succeeded;
                  s.revision = (*revs)[i];
                  s.has_spec = true;
                  s.spec = note.spec;
                  s.outcome = note.outcome;
                  promise.deliver(to_info(s));
                  *step = nullptr;
                  return;
                }
                (*step)(i + 1);
              },
              [=](caf::error& e) mutable {
                promise.deliver(e);
                *step = nullptr;
              });
        };
        (*step)(0);
      },
      [=](caf::error& e) mutable { promise.deliver(e); });
}

caf::result<std::string> handle_submit(self_ptr self, const std::string& body) {
  auto& st = self->state;
  update_spec spec;
  try {
    spec = release::parse_spec(body);
  } catch (const std::exception& e) {
    return caf::make_error(job_errc::bad_spec, std::string{e.what()});
  }
  auto id = release::new_job_id();
  job_status s;
  s.id = id;
  s.has_spec = false;
  if (spec.is_plan()) {
    // Plans run at once, beside the queue: they commit nothing.
    auto promise = self->make_response_promise<std::string>();
    st.plan_replies.emplace(id, promise);
    s.has_spec = true;
    s.spec = std::move(spec);
    run(self, std::move(s), false);
    return promise;
  }
  set_status(self, s);
  st.queue.push_back({id, std::move(spec), caf::make_timestamp()});
  st.log.info("job queued", {{"job", id}, {"queue", st.queue.size()}});
  start_next(self);
  return id;
}

} // namespace

job_queue_impl::behavior_type
job_queue(job_queue_impl::stateful_pointer<job_queue_state> self,
          job_queue_config cfg) {
  self->state.cfg = std::move(cfg);
  install_handlers(self, self->state.log);
  return {
    [=](job_submit_atom, const std::string& body) {
      return handle_submit(self, body);
    },
    [=](job_status_atom, const std::string& id) -> caf::result<job_info> {
      auto& st = self->state;
      if (auto it = st.statuses.find(id); it != st.statuses.end())
        return to_info(it->second);
      auto promise = self->make_response_promise<job_info>();
      find_in_notes(self, id, promise);
      return promise;
    },
    [=](job_wait_atom, const std::string& id) -> caf::result<job_info> {
      auto& st = self->state;
      auto it = st.statuses.find(id);
      if (it == st.statuses.end()) {
        auto promise = self->make_response_promise<job_info>();
        find_in_notes(self, id, promise);
        return promise;
      }
      if (final_state(it->second.state))
        return to_info(it->second);
      auto promise = self->make_response_promise<job_info>();
      st.waiters.emplace(id, promise);
      return promise;
    },
    [=](auto_sub_atom, auto_check_actor a) {
      self->state.auto_checkers.push_back(a);
    },
    [=](job_next_atom) { start_next(self); },
    [=](const repo_snapshot&) {
      // Releases read the scanner when they run.
    },
    [=](job_next_atom, uint64_t id) {
      auto& st = self->state;
      auto it = st.deferred.find(id);
      if (it == st.deferred.end())
        return;
      auto f = std::move(it->second);
      st.deferred.erase(it);
      f();
    },
  };
}

} // namespace fluxd
