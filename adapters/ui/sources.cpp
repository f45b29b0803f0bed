#include "adapters/ui/sources.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>

#include "adapters/image/ref.hpp"
#include "adapters/log/log.hpp"

namespace fluxd::ui {

namespace {

const std::string tag_prefix = "tag.";

std::vector<std::string> split_paths(const std::string& joined) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= joined.size()) {
    auto comma = joined.find(',', start);
    if (comma == std::string::npos)
      comma = joined.size();
    auto part = joined.substr(start, comma - start);
    if (!part.empty())
      out.push_back(part);
    start = comma + 1;
  }
  return out;
}

workload_policy policy_of(const api::controller_status& w) {
  workload_policy p;
  p.automated = w.automated;
  p.locked = w.locked;
  p.ignored = w.ignore;
  auto get = [&](const std::string& key) {
    auto it = w.policies.find(key);
    return it == w.policies.end() ? std::string{} : it->second;
  };
  p.locked_user = get("locked_user");
  p.locked_message = get("locked_msg");
  for (auto& [key, value] : w.policies)
    if (key.rfind(tag_prefix, 0) == 0)
      p.tag_filters[key.substr(tag_prefix.size())] = value;
  if (auto all = get("tag_all"); !all.empty())
    p.tag_filters["*"] = all;
  return p;
}

workload_status workload_of(const api::controller_status& w) {
  workload_status out;
  out.id = w.id;
  if (w.containers)
    for (auto& c : *w.containers)
      out.containers.push_back({c.name, c.current.id});
  out.rollout_status = w.status;
  if (w.rollout.messages && !w.rollout.messages->empty()) {
    for (auto& m : *w.rollout.messages)
      out.rollout_message += (out.rollout_message.empty() ? "" : "; ") + m;
  } else if (w.rollout.desired > 0 && w.rollout.ready < w.rollout.desired) {
    out.rollout_message = std::to_string(w.rollout.ready) + " of "
                          + std::to_string(w.rollout.desired)
                          + " replicas ready";
  }
  out.policy = policy_of(w);
  out.sync_error = w.sync_error;
  return out;
}

/// Repository and tag of an image ref; the ref as written when unparsable.
std::pair<std::string, std::string> split_ref(const std::string& text) {
  try {
    auto r = image::parse_ref(text);
    return {r.name(), r.tag};
  } catch (const std::exception&) {
    return {text, {}};
  }
}

void add_images(status_snapshot& snap,
                const std::vector<api::image_status>& images) {
  for (auto& i : images) {
    if (!i.containers)
      continue;
    for (auto& c : *i.containers) {
      if (c.current.id.empty())
        continue;
      image_status out;
      out.workload = i.id;
      out.container = c.name;
      auto [repository, tag] = split_ref(c.current.id);
      out.repository = repository;
      out.current_tag = tag;
      if (!c.latest_filtered.id.empty())
        out.newest_tag = split_ref(c.latest_filtered.id).second;
      out.update_pending =
          !out.newest_tag.empty() && out.newest_tag != out.current_tag;
      snap.images.push_back(std::move(out));
    }
  }
}

void mark_unavailable(status_snapshot& snap, const std::string& section,
                      const std::string& call, const std::exception& e) {
  // Debug only: every poll asks again, and "not implemented yet" is normal.
  log::logger{"ui"}.debug("status page: the daemon did not answer",
                          {{"call", call}, {"err", e.what()}});
  if (std::find(snap.unavailable.begin(), snap.unavailable.end(), section)
      == snap.unavailable.end())
    snap.unavailable.push_back(section);
}

} // namespace

void fill_daemon(status_snapshot& snap, const health::readiness& ready,
                 const std::string& version, time_point started) {
  snap.daemon.version = version;
  snap.daemon.started = started;
  snap.daemon.ready = ready.all_ready();
  for (auto& [component, state] : ready.snapshot())
    if (!state.ready)
      snap.daemon.not_ready[component] = state.reason;
}

void fill_from_api(status_snapshot& snap, api::daemon_api& daemon) {
  if (snap.daemon.version.empty()) {
    try {
      snap.daemon.version = daemon.version();
    } catch (const std::exception& e) {
      log::logger{"ui"}.debug("status page: no version", {{"err", e.what()}});
    }
  }
  // A repository the caller already has (from the status collector, which
  // knows more) is not asked for again.
  if (snap.repositories.empty()) {
    try {
      auto git = daemon.git_repo_config(false);
      if (!git.url.empty()) {
        repository_status r;
        r.url = git.url;
        r.branch = git.branch;
        r.paths = split_paths(git.path);
        r.status = git.status;
        r.last_error = git.errors;
        snap.repositories.push_back(std::move(r));
      }
    } catch (const std::exception& e) {
      mark_unavailable(snap, "repositories", "git_repo_config", e);
    }
  }
  try {
    for (auto& w : daemon.list_services("", {}))
      snap.workloads.push_back(workload_of(w));
  } catch (const std::exception& e) {
    mark_unavailable(snap, "workloads", "list_services", e);
  }
  try {
    add_images(snap, daemon.list_images("<all>", "", {}));
  } catch (const std::exception& e) {
    mark_unavailable(snap, "images", "list_images", e);
  }
}

status_provider cached(status_provider inner,
                       std::chrono::milliseconds max_age) {
  struct cache {
    std::mutex mtx;
    std::optional<status_snapshot> value;
    std::chrono::steady_clock::time_point built{};
  };
  auto c = std::make_shared<cache>();
  return [inner = std::move(inner), max_age, c] {
    // Holding the lock while building makes concurrent callers share it.
    std::lock_guard<std::mutex> guard{c->mtx};
    auto now = std::chrono::steady_clock::now();
    if (!c->value || now - c->built >= max_age) {
      c->value = inner();
      c->built = now;
    }
    return *c->value;
  };
}

} // namespace fluxd::ui
