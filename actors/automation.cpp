#include "actors/automation.hpp"

#include <algorithm>

#include "caf/result.hpp"

#include "actors/handlers.hpp"
#include "adapters/manifests/workload.hpp"
#include "adapters/release/spec.hpp"

namespace fluxd {

namespace {

using self_ptr = automation_impl::stateful_pointer<automation_state>;

caf::timestamp to_ts(std::chrono::system_clock::time_point t) {
  return std::chrono::time_point_cast<caf::timespan>(t);
}

release::repo_images to_repo_images(const repo_snapshot& s) {
  release::repo_images out;
  out.tags = s.tags;
  for (auto& m : s.images)
    out.created[m.tag] =
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(
        m.created);
  return out;
}

void schedule_check(self_ptr self) {
  auto& st = self->state;
  if (st.check_scheduled)
    return;
  st.check_scheduled = true;
  self->delayed_send(self, st.cfg.batch_window, auto_check_atom_v);
}

void schedule_tick(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.cfg.interval, auto_tick_atom_v,
                     ++st.tick_generation);
}

/// Watches every repository the workloads in git use; with creation times
/// when some container's filter orders by time.
void watch_repositories(self_ptr self) {
  auto& st = self->state;
  std::map<std::string, std::pair<std::string, bool>> wanted;
  for (auto& wl : st.workloads) {
    for (auto& c : wl.containers) {
      auto& w = wanted[c.image.canonical_name()];
      w.first = c.image.to_string();
      w.second = w.second ||
                 image::tag_filter(manifests::tag_pattern(wl.policies, c.name))
                   .needs_created();
    }
  }
  if (!st.cfg.scanner)
    return;
  for (auto& [repo, w] : wanted) {
    auto it = st.watched.find(repo);
    if (it != st.watched.end() && (it->second || !w.second))
      continue;
    st.watched[repo] = w.second;
    auto listener = caf::actor_cast<repo_listener_actor>(self);
    self
      ->request(st.cfg.scanner, st.cfg.request_timeout, watch_repo_atom_v,
                w.first, listener, w.second)
      .then(
        [=](const repo_snapshot& s) {
          self->state.images[repo] = to_repo_images(s);
          self->state.newest.forget(repo);
          schedule_check(self);
        },
        [=](caf::error& e) {
          // Excluded or unreachable: the repository stays empty.
          self->state.log.debug("not watching image repository",
                                {{"repository", repo},
                                 {"err", self->system().render(e)}});
        });
  }
}

void check(self_ptr self) {
  auto& st = self->state;
  st.check_scheduled = false;
  if (st.revision.empty())
    return;
  if (!st.job_in_flight.empty()) {
    st.recheck = true;
    return;
  }
  if (!st.cfg.jobs) // read-only, or scanning disabled: nothing to commit
    return;
  if (st.automated.empty()) {
    st.log.debug("no automated workloads");
    return;
  }
  auto result = release::calculate_changes(st.automated, st.images,
                                           st.newest);
  for (auto& w : result.warnings)
    st.log.warn("automation skipped a container", {{"reason", w}});
  if (result.changes.changes.empty())
    return;
  release::update_spec spec;
  spec.spec = result.changes;
  st.job_in_flight = "submitting";
  st.recheck = false;
  auto timeout = st.cfg.request_timeout;
  self->request(st.cfg.jobs, timeout, job_submit_atom_v,
                release::serialize(spec))
    .then(
      [=](const std::string& id) {
        self->state.job_in_flight = id;
        self->state.log.info("queued automated release",
                             {{"job", id},
                              {"changes", result.changes.changes.size()}});
        // A job waits behind others; give it the interval, not the
        // request timeout.
        self
          ->request(self->state.cfg.jobs, caf::infinite, job_wait_atom_v, id)
          .then(
            [=](const job_info& info) {
              self->state.job_in_flight.clear();
              if (info.state == "failed")
                self->state.log.warn("automated release failed",
                                     {{"job", id}, {"err", info.error}});
              if (self->state.recheck)
                schedule_check(self);
            },
            [=](caf::error&) {
              self->state.job_in_flight.clear();
              schedule_check(self);
            });
      },
      [=](caf::error& e) {
        self->state.job_in_flight.clear();
        self->state.log.warn("cannot queue automated release",
                             {{"err", self->system().render(e)}});
      });
}

void on_loaded(self_ptr self, const std::string& revision,
               release::git_summary& git) {
  auto& st = self->state;
  st.revision = revision;
  st.workloads = std::move(git.workloads);
  st.automated = release::automated_containers(st.workloads);
  st.log.debug("read the workloads at the branch head",
               {{"revision", st.revision},
                {"resources", git.resources},
                {"workloads", st.workloads.size()},
                {"automated", st.automated.size()}});
  watch_repositories(self);
  schedule_check(self);
}

void on_revision(self_ptr self, const git_revision& r) {
  auto& st = self->state;
  if (r.revision == st.revision)
    return;
  auto timeout = st.cfg.request_timeout;
  self->request(st.cfg.mirror, timeout, git_read_atom_v, r.revision,
                st.cfg.load.paths)
    .then(
      [=](git_files& files) {
        auto revision = files.revision;
        // Moved: the loader's thread frees the file texts with the trees.
        self->request(self->state.loader, timeout, std::move(files))
          .then(
            [=](release::git_summary& git) { on_loaded(self, revision, git); },
            [=](caf::error& e) {
              self->state.log.warn("cannot load manifests",
                                   {{"revision", revision},
                                    {"err", self->system().render(e)}});
            });
      },
      [=](caf::error& e) {
        self->state.log.warn("cannot read the branch head",
                             {{"revision", r.revision},
                              {"err", self->system().render(e)}});
      });
}

workload_loader_actor::behavior_type
workload_loader(workload_loader_actor::pointer self,
                manifests::load_options opts,
                std::shared_ptr<sync::revision_cache> cache) {
  install_handlers(self, log::logger{"automation"});
  return {
    [=](git_files& files) -> caf::result<release::git_summary> {
      try {
        if (cache)
          return release::summarize(*cache, files.files, opts);
        return release::summarize(files.files, opts);
      } catch (const std::exception& e) {
        return caf::make_error(caf::sec::runtime_error, e.what());
      }
    },
  };
}

} // namespace

std::vector<container_images>
image_rows(const std::vector<release::workload_summary>& workloads,
           const release::image_index& images, const std::string& only) {
  std::vector<container_images> out;
  static const release::repo_images empty;
  for (auto& w : workloads) {
    if (!only.empty() && w.id != only)
      continue;
    auto& pol = w.policies;
    for (auto& c : w.containers) {
      container_images row;
      row.workload = w.id;
      row.container = c.name;
      row.current = c.image.to_string();
      row.repository = c.image.canonical_name();
      row.pattern = manifests::tag_pattern(pol, c.name);
      row.automated = manifests::policy_true(pol, manifests::policy::automated);
      row.locked = manifests::policy_true(pol, manifests::policy::locked);
      auto it = images.find(row.repository);
      const auto& repo = it == images.end() ? empty : it->second;
      std::vector<image::candidate> all;
      for (auto& t : repo.tags) {
        image::candidate cand{c.image.with_tag(t), {}};
        if (auto m = repo.created.find(t); m != repo.created.end())
          cand.created = m->second;
        all.push_back(cand);
      }
      std::sort(all.begin(), all.end(), [](auto& a, auto& b) {
        return image::newer_by_created(a, b);
      });
      for (auto& a : all)
        row.available.push_back({a.image.tag, to_ts(a.created)});
      image::tag_filter filter(row.pattern);
      for (auto& f : filter.filter_and_sort(all))
        row.filtered.push_back({f.image.tag, to_ts(f.created)});
      auto latest = release::newest_allowed(repo, c.image, filter);
      if (latest.newest)
        row.newest = latest.newest->image.to_string();
      else if (latest.problem == release::latest_problem::missing_metadata)
        row.problem = "missing metadata for image tag \"" +
                      latest.missing_tag + "\"";
      else if (it == images.end())
        row.problem = "image data not available";
      out.push_back(std::move(row));
    }
  }
  return out;
}

git_workloads
workloads_of(const std::string& revision,
             const std::vector<release::workload_summary>& workloads) {
  git_workloads out;
  out.revision = revision;
  for (auto& w : workloads)
    out.workloads.push_back({w.id, w.policies});
  return out;
}

automation_impl::behavior_type
automation(automation_impl::stateful_pointer<automation_state> self,
           automation_config cfg) {
  self->state.cfg = std::move(cfg);
  install_handlers(self, self->state.log);
  auto& st = self->state;
  st.loader = self->spawn<caf::detached + caf::linked>(
    workload_loader, st.cfg.load, st.cfg.files);
  if (st.cfg.mirror) {
    auto listener = caf::actor_cast<git_listener_actor>(self);
    self->request(st.cfg.mirror, st.cfg.request_timeout, git_sub_atom_v,
                  listener)
      .then([](const git_status&) {},
            [=](caf::error& e) {
              self->state.log.warn("cannot follow the repository",
                                   {{"err", self->system().render(e)}});
            });
  }
  if (st.cfg.jobs)
    self->send(st.cfg.jobs, auto_sub_atom_v,
               caf::actor_cast<auto_check_actor>(self));
  schedule_tick(self);
  return {
    [=](const git_revision& r) { on_revision(self, r); },
    [=](const repo_snapshot& s) {
      self->state.images[s.repository] = to_repo_images(s);
      self->state.newest.forget(s.repository);
      schedule_check(self);
    },
    [=](auto_check_atom) {
      if (self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(
                                      self->address()))
        check(self);
      else
        schedule_check(self);
    },
    [=](list_images_atom, const std::string& id) {
      return image_rows(self->state.workloads, self->state.images, id);
    },
    [=](git_workloads_atom) {
      return workloads_of(self->state.revision, self->state.workloads);
    },
    [=](auto_tick_atom, uint64_t generation) {
      if (generation != self->state.tick_generation)
        return;
      check(self);
      schedule_tick(self);
    },
  };
}

} // namespace fluxd
