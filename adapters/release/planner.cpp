#include "adapters/release/planner.hpp"

#include <algorithm>
#include <set>

#include "adapters/manifests/editor.hpp"
#include "adapters/manifests/workload.hpp"

namespace fluxd::release {

namespace {

using manifests::resource;

/// A workload that survived pre-filtering, with what it runs.
struct candidate_workload {
  std::string id;
  const resource* res = nullptr;
  std::vector<std::pair<std::string, image::ref>> containers;
  std::string excuse; ///< why containers could not be read
  manifests::policy_set policies;         ///< from git
  manifests::policy_set running_policies; ///< cluster, fluxcd.io/ only
};

std::vector<std::pair<std::string, image::ref>>
git_containers(const resource& r, std::string& excuse) {
  auto wc = manifests::containers_of(r.node);
  excuse = wc.excuse;
  std::vector<std::pair<std::string, image::ref>> out;
  for (auto& c : wc.containers)
    out.emplace_back(c.name, c.image);
  return out;
}

/// Looks a workload up "in the cluster"; false when it does not run there.
bool running(const release_inputs& in, candidate_workload& w) {
  w.policies = manifests::policies_of(w.res->annotations);
  if (!in.cluster) {
    w.containers = git_containers(*w.res, w.excuse);
    w.running_policies = manifests::policies_of(w.res->annotations, true);
    return true;
  }
  auto it = in.cluster->find(w.id);
  if (it == in.cluster->end())
    return false;
  w.running_policies = manifests::policies_of(it->second.annotations, true);
  for (auto& [name, text] : it->second.containers) {
    try {
      w.containers.emplace_back(name, image::parse_ref(text));
    } catch (const image::ref_error& e) {
      w.containers.clear();
      w.excuse = e.what();
      break;
    }
  }
  return true;
}

bool is_workload(const resource& r) {
  return manifests::is_workload_kind(r.kind);
}

/// Flux v1's pre-filter/cluster/post-filter selection. `pre` and `post`
/// return an empty optional to keep a workload.
template <class Pre, class Post>
std::vector<candidate_workload> select(const release_inputs& in, result& out,
                                       Pre pre, Post post) {
  std::vector<candidate_workload> chosen;
  for (auto& [id, r] : in.git->resources) {
    if (!is_workload(r))
      continue;
    if (auto verdict = pre(id)) {
      out[id] = *verdict;
      continue;
    }
    out[id] = {workload_status::skipped, text::not_in_cluster, {}};
    candidate_workload w;
    w.id = id;
    w.res = &r;
    if (!running(in, w))
      continue;
    if (auto verdict = post(w)) {
      out[id] = *verdict;
      continue;
    }
    chosen.push_back(std::move(w));
  }
  return chosen;
}

std::optional<workload_result> locked_or_ignored(const candidate_workload& w) {
  if (manifests::policy_true(w.policies, manifests::policy::locked))
    return workload_result{workload_status::skipped, text::locked, {}};
  if (manifests::policy_true(w.running_policies, manifests::policy::ignore))
    return workload_result{workload_status::skipped, text::ignore, {}};
  return std::nullopt;
}

std::string join(const std::vector<std::string>& xs) {
  std::string out;
  for (std::size_t i = 0; i < xs.size(); ++i)
    out += (i ? ", " : "") + xs[i];
  return out;
}

workload_update update_of(const candidate_workload& w,
                          std::vector<container_update> cs) {
  return {w.id, w.res->source, std::move(cs)};
}

} // namespace

latest_tag newest_allowed(const repo_images& repo, const image::ref& current,
                          const image::tag_filter& filter) {
  latest_tag out;
  std::vector<image::candidate> all;
  bool times = filter.needs_created();
  for (auto& tag : repo.tags) {
    if (!filter.admits(tag))
      continue;
    image::candidate c{current.with_tag(tag), {}};
    auto it = repo.created.find(tag);
    if (it != repo.created.end())
      c.created = it->second;
    else if (times) {
      out.problem = latest_problem::missing_metadata;
      out.missing_tag = tag;
      return out;
    }
    all.push_back(std::move(c));
  }
  auto sorted = filter.filter_and_sort(std::move(all));
  if (sorted.empty()) {
    out.problem = latest_problem::no_tags;
    return out;
  }
  out.newest = sorted.front();
  return out;
}

release_plan plan_image_release(const image_spec& s, const release_inputs& in) {
  release_plan plan;
  std::set<std::string> ids;
  if (!s.all())
    ids.insert(s.workloads.begin(), s.workloads.end());
  std::set<std::string> excludes(s.excludes.begin(), s.excludes.end());
  std::optional<image::ref> wanted;
  if (!s.latest())
    wanted = image::parse_ref(s.image);
  bool forced = !ids.empty() && s.force;

  auto pre = [&](const std::string& id) -> std::optional<workload_result> {
    if (!ids.empty() && !ids.count(id))
      return workload_result{workload_status::ignored, text::not_included, {}};
    if (excludes.count(id))
      return workload_result{workload_status::ignored, text::excluded, {}};
    return std::nullopt;
  };
  auto post =
    [&](const candidate_workload& w) -> std::optional<workload_result> {
    if (wanted) {
      if (w.containers.empty())
        return workload_result{workload_status::ignored, text::not_in_cluster,
                               {}};
      bool uses = std::any_of(
        w.containers.begin(), w.containers.end(), [&](const auto& c) {
          return c.second.canonical_name() == wanted->canonical_name();
        });
      if (!uses)
        return workload_result{workload_status::ignored,
                               text::different_image, {}};
    }
    if (!forced)
      return locked_or_ignored(w);
    return std::nullopt;
  };
  auto chosen = select(in, plan.outcome, pre, post);
  for (auto& id : ids)
    if (!plan.outcome.count(id))
      plan.outcome[id] = {workload_status::skipped, text::not_in_repo, {}};

  // Only the requested tag exists for a specific image, and it must.
  image_index single;
  std::string single_repo;
  if (wanted) {
    single_repo = wanted->canonical_name();
    auto it = in.images->find(single_repo);
    bool exists = it != in.images->end() &&
                  std::count(it->second.tags.begin(), it->second.tags.end(),
                             wanted->tag) > 0;
    if (!exists)
      throw release_error("invalid image ID: image \"" + s.image +
                          "\" does not exist");
    repo_images one;
    one.tags = {wanted->tag};
    if (auto c = it->second.created.find(wanted->tag);
        c != it->second.created.end())
      one.created[wanted->tag] = c->second;
    single[single_repo] = std::move(one);
  }
  const image_index& repos = wanted ? single : *in.images;
  static const repo_images empty;

  for (auto& w : chosen) {
    if (w.containers.empty() && !w.excuse.empty()) {
      plan.outcome[w.id] = {workload_status::failed, w.excuse, {}};
      continue;
    }
    auto marker = workload_status::ignored;
    std::vector<container_update> updates;
    for (auto& [name, current] : w.containers) {
      std::string pattern = "glob:*";
      if (!s.force || s.latest())
        pattern = manifests::tag_pattern(w.policies, name);
      // A one-tag repository needs no times to be ordered.
      image::tag_filter filter(pattern);
      auto it = repos.find(current.canonical_name());
      const repo_images& repo = it == repos.end() ? empty : it->second;
      latest_tag latest;
      if (wanted && it != repos.end()) {
        if (filter.admits(wanted->tag))
          latest.newest = image::candidate{current.with_tag(wanted->tag), {}};
      } else {
        latest = newest_allowed(repo, current, filter);
      }
      if (latest.problem == latest_problem::missing_metadata) {
        marker = workload_status::unknown;
        continue;
      }
      if (!latest.newest) {
        marker = current.canonical_name() != single_repo
                   ? workload_status::ignored
                   : workload_status::unknown;
        continue;
      }
      if (latest.newest->image.tag == current.tag && current.sha.empty()) {
        marker = workload_status::skipped;
        continue;
      }
      updates.push_back({name, current.to_string(),
                         current.with_tag(latest.newest->image.tag)
                           .to_string()});
    }
    auto& r = plan.outcome[w.id];
    if (!updates.empty()) {
      r = {workload_status::success, {}, updates};
      plan.updates.push_back(update_of(w, std::move(updates)));
    } else if (marker == workload_status::skipped) {
      r = {workload_status::skipped, text::up_to_date, {}};
    } else if (marker == workload_status::ignored) {
      r = {workload_status::ignored, text::does_not_use, {}};
    } else {
      r = {workload_status::skipped, text::image_not_found, {}};
    }
  }
  return plan;
}

release_plan plan_containers_release(const containers_spec& s,
                                     const release_inputs& in) {
  release_plan plan;
  auto pre = [&](const std::string& id) -> std::optional<workload_result> {
    if (!s.containers.count(id))
      return workload_result{workload_status::ignored, text::not_included, {}};
    return std::nullopt;
  };
  auto post =
    [&](const candidate_workload& w) -> std::optional<workload_result> {
    if (s.force)
      return std::nullopt;
    return locked_or_ignored(w);
  };
  auto chosen = select(in, plan.outcome, pre, post);
  for (auto& w : chosen) {
    if (w.containers.empty() && !w.excuse.empty()) {
      plan.outcome[w.id] = {workload_status::failed, w.excuse, {}};
      continue;
    }
    std::map<std::string, image::ref> running(w.containers.begin(),
                                              w.containers.end());
    std::vector<std::string> mismatch, not_found;
    std::vector<container_update> updates;
    for (auto& c : s.containers.at(w.id)) {
      auto it = running.find(c.container);
      if (it == running.end()) {
        not_found.push_back(c.container);
        continue;
      }
      if (!c.current.empty() &&
          it->second != image::parse_ref(c.current)) {
        mismatch.push_back(c.container);
        continue;
      }
      if (it->second == image::parse_ref(c.target))
        continue;
      updates.push_back({c.container, it->second.to_string(), c.target});
    }
    std::string mismatch_text = text::tag_mismatch + join(mismatch);
    bool skipped_mismatch = s.skip_mismatches && !mismatch.empty();
    auto& r = plan.outcome[w.id];
    if (!not_found.empty()) {
      r = {workload_status::failed, text::containers_not_found + join(not_found),
           {}};
    } else if (!s.skip_mismatches && !mismatch.empty()) {
      r = {workload_status::failed, mismatch_text, {}};
    } else if (updates.empty()) {
      r = {workload_status::skipped,
           skipped_mismatch ? mismatch_text : text::up_to_date, {}};
    } else {
      r = {workload_status::success, skipped_mismatch ? mismatch_text : "",
           updates};
      plan.updates.push_back(update_of(w, std::move(updates)));
    }
  }
  int failures = 0, successes = 0;
  for (auto& [id, r] : plan.outcome) {
    failures += r.status == workload_status::failed;
    successes += r.status == workload_status::success;
  }
  if (failures > 0)
    throw release_error("cannot satisfy specs");
  if (successes == 0)
    throw release_error("no changes found");
  return plan;
}

release_plan plan_auto_release(const auto_spec& s, const release_inputs& in) {
  release_plan plan;
  std::map<std::string, std::vector<const auto_change*>> by_id;
  for (auto& c : s.changes)
    by_id[c.workload].push_back(&c);
  auto pre = [&](const std::string& id) -> std::optional<workload_result> {
    if (!by_id.count(id))
      return workload_result{workload_status::ignored, text::not_included, {}};
    return std::nullopt;
  };
  auto post = [&](const candidate_workload& w) { return locked_or_ignored(w); };
  auto chosen = select(in, plan.outcome, pre, post);
  for (auto& [id, cs] : by_id)
    if (!plan.outcome.count(id))
      plan.outcome[id] = {workload_status::skipped, text::not_in_repo, {}};
  for (auto& w : chosen) {
    // The manifest's containers: the edit is made to what git holds.
    std::string excuse;
    std::vector<container_update> updates;
    for (auto& [name, current] : git_containers(*w.res, excuse)) {
      for (auto* c : by_id[w.id]) {
        if (c->container != name)
          continue;
        auto target = image::parse_ref(c->image);
        if (target.canonical_ref() == current.canonical_ref())
          continue;
        updates.push_back(
          {name, current.to_string(), current.with_tag(target.tag).to_string()});
      }
    }
    auto& r = plan.outcome[w.id];
    if (updates.empty()) {
      r = {workload_status::skipped, text::up_to_date, {}};
    } else {
      r = {workload_status::success, {}, updates};
      plan.updates.push_back(update_of(w, std::move(updates)));
    }
  }
  return plan;
}

manifests::file_map apply_updates(const manifests::file_map& files,
                                  const std::vector<workload_update>& updates,
                                  const manifests::load_options& opts) {
  auto loaded = manifests::load(files, opts);
  manifests::file_map edited;
  for (auto& u : updates) {
    auto it = loaded.resources.find(u.id);
    if (it == loaded.resources.end())
      throw release_error("failed to verify changes: " + u.id +
                          ": manifest not found");
    const std::string& file = it->second.source;
    auto cur = edited.count(file) ? edited[file] : files.at(file);
    auto target = manifests::target_of(it->second);
    for (auto& c : u.containers)
      cur = manifests::set_container_image(cur, target, c.container,
                                           image::parse_ref(c.target),
                                           opts.lim);
    edited[file] = std::move(cur);
  }
  // Verify: re-load the edited tree; every updated container holds its
  // target and the set of resources is unchanged.
  manifests::file_map after = files;
  for (auto& [f, text] : edited)
    after[f] = text;
  auto reloaded = manifests::load(after, opts);
  if (reloaded.resources.size() != loaded.resources.size())
    throw release_error("failed to verify changes: resources changed");
  for (auto& u : updates) {
    auto it = reloaded.resources.find(u.id);
    if (it == reloaded.resources.end())
      throw release_error("failed to verify changes: " + u.id + " is gone");
    auto cs = manifests::containers_of(it->second.node).containers;
    for (auto& c : u.containers) {
      auto found = std::find_if(cs.begin(), cs.end(), [&](auto& x) {
        return x.name == c.container;
      });
      if (found == cs.end() || found->image.to_string() != c.target)
        throw release_error("failed to verify changes: " + u.id +
                            " container " + c.container + " is not " +
                            c.target);
    }
  }
  for (auto it = edited.begin(); it != edited.end();)
    it = it->second == files.at(it->first) ? edited.erase(it) : std::next(it);
  return edited;
}

} // namespace fluxd::release
