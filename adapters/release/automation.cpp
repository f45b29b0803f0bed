#include "adapters/release/automation.hpp"

#include <map>
#include <utility>

#include "adapters/manifests/workload.hpp"

namespace fluxd::release {

git_summary summarize(const manifests::load_result& git) {
  git_summary out;
  out.resources = git.resources.size();
  for (auto& [id, r] : git.resources) {
    if (!manifests::is_workload_kind(r.kind))
      continue;
    workload_summary w;
    w.id = id;
    w.policies = manifests::policies_of(r.annotations);
    for (auto& c : manifests::containers_of(r.node).containers)
      w.containers.push_back({c.name, c.image});
    w.containers.shrink_to_fit();
    out.workloads.push_back(std::move(w));
  }
  out.workloads.shrink_to_fit();
  return out;
}

namespace {

/// The workloads of the resources resolve() keeps from `files`, each with
/// the containers `containers_at(origin)` gives for its object.
template <class ContainersAt>
git_summary summarize_resolved(
  const std::vector<const manifests::parsed_file*>& files,
  const manifests::load_options& opts, ContainersAt&& containers_at) {
  std::map<std::string, manifests::object_origin> origins;
  auto git = manifests::resolve(files, opts, &origins);
  git_summary out;
  out.resources = git.resources.size();
  for (auto& [id, r] : git.resources) {
    if (!manifests::is_workload_kind(r.kind))
      continue;
    out.workloads.push_back({id, manifests::policies_of(r.annotations),
                             containers_at(origins.at(id))});
  }
  out.workloads.shrink_to_fit();
  return out;
}

} // namespace

git_summary summarize(const manifests::file_map& files,
                      const manifests::load_options& opts) {
  std::vector<manifests::parsed_file> parsed;
  // Containers by file, then object: read while the file's tree lives.
  std::vector<std::vector<std::vector<summary_container>>> containers;
  for (const auto& path : manifests::manifest_paths(files, opts.paths)) {
    auto f = manifests::parse_file(path, files.at(path), opts.lim);
    auto& of_file = containers.emplace_back(f.objects.size());
    for (std::size_t i = 0; i < f.objects.size(); ++i) {
      auto& o = f.objects[i];
      if (manifests::is_workload_kind(o.kind))
        for (auto& c : manifests::containers_of(o.node).containers)
          of_file[i].push_back({c.name, c.image});
      o.node.reset(); // rebinds: the file's tree dies with its last node
    }
    parsed.push_back(std::move(f));
  }
  std::vector<const manifests::parsed_file*> all;
  for (const auto& f : parsed)
    all.push_back(&f);
  return summarize_resolved(all, opts, [&](const manifests::object_origin& at) {
    auto& cs = containers[at.file][at.object];
    cs.shrink_to_fit();
    return std::move(cs);
  });
}

git_summary summarize(sync::revision_cache& cache,
                      const manifests::file_map& files,
                      const manifests::load_options& opts) {
  auto cached = cache.files(files, opts);
  std::vector<const manifests::parsed_file*> all;
  for (const auto& f : cached)
    all.push_back(&f->file);
  return summarize_resolved(all, opts, [&](const manifests::object_origin& at) {
    return cached[at.file]->containers[at.object];
  });
}

std::vector<automated_container>
automated_containers(const std::vector<workload_summary>& workloads) {
  std::vector<automated_container> out;
  for (auto& w : workloads) {
    auto& pol = w.policies;
    if (!manifests::policy_true(pol, manifests::policy::automated) ||
        manifests::policy_true(pol, manifests::policy::locked) ||
        manifests::policy_true(pol, manifests::policy::ignore))
      continue;
    for (auto& c : w.containers)
      out.push_back({w.id, c.name, c.image,
                     manifests::tag_pattern(pol, c.name)});
  }
  return out;
}

std::vector<automated_container>
automated_containers(const manifests::load_result& git) {
  return automated_containers(summarize(git).workloads);
}

std::set<std::string>
automated_repositories(const std::vector<automated_container>& cs) {
  std::set<std::string> out;
  for (auto& c : cs)
    out.insert(c.current.canonical_name());
  return out;
}

void newest_cache::forget(const std::string& repository) {
  auto it = by_filter.lower_bound({repository, std::string{}});
  while (it != by_filter.end() && it->first.first == repository)
    it = by_filter.erase(it);
}

automation_check calculate_changes(const std::vector<automated_container>& cs,
                                   const image_index& images) {
  newest_cache known;
  return calculate_changes(cs, images, known);
}

automation_check calculate_changes(const std::vector<automated_container>& cs,
                                   const image_index& images,
                                   newest_cache& cache) {
  automation_check out;
  static const repo_images empty;
  // Many containers share a repository and a filter; the newest allowed
  // tag depends on nothing else (only its spelling follows the container),
  // so each pair is worked out once, and again only when its images change.
  auto& known = cache.by_filter;
  for (auto& c : cs) {
    auto canonical = c.current.canonical_name();
    auto it = images.find(canonical);
    const repo_images& repo = it == images.end() ? empty : it->second;
    image::tag_filter filter(c.pattern);
    auto [at, fresh] = known.try_emplace({canonical, c.pattern});
    if (fresh)
      at->second = newest_allowed(repo, c.current, filter);
    auto latest = at->second;
    if (latest.newest)
      latest.newest->image = c.current.with_tag(latest.newest->image.tag);
    auto where = c.workload + " container " + c.container;
    if (latest.problem == latest_problem::missing_metadata) {
      out.warnings.push_back(
        where + ": inconsistent repository metadata: missing metadata for "
                "image tag \"" + latest.missing_tag + "\"");
      continue;
    }
    if (!latest.newest)
      continue;
    auto& newest = latest.newest->image;
    if (newest.tag.empty()) {
      out.warnings.push_back(where + ": untagged image in available images");
      continue;
    }
    if (newest.tag == c.current.tag && c.current.sha.empty())
      continue;
    if (filter.needs_created()) {
      auto cur = repo.created.find(c.current.tag);
      bool current_zero = cur == repo.created.end() ||
                          cur->second.time_since_epoch().count() == 0;
      if (current_zero || latest.newest->created.time_since_epoch().count() == 0) {
        out.warnings.push_back(where + ": image with zero created timestamp");
        continue;
      }
    }
    out.changes.changes.push_back(
      {c.workload, c.container, c.current.to_string(), newest.to_string()});
  }
  return out;
}

} // namespace fluxd::release
