#include "actors/automation_children.hpp"

#include <optional>

#include "caf/actor_cast.hpp"
#include "caf/local_actor.hpp"

#include "actors/automation.hpp"
#include "actors/job_queue.hpp"
#include "actors/sync_children.hpp"

namespace fluxd {

namespace {

caf::timespan span(config::duration d) {
  return std::chrono::duration_cast<caf::timespan>(d);
}

/// The handles of `names` ("" where one is not wanted: a null handle), or
/// nothing while one of them has not started yet. Areas initialise
/// concurrently, so a start that comes too early returns no actor and the
/// supervisor tries again after its back-off.
std::optional<std::vector<caf::actor>>
wanted_handles(const child_handles& handles,
               const std::vector<std::string>& names) {
  std::vector<caf::actor> out;
  for (auto& name : names) {
    if (name.empty()) {
      out.emplace_back();
      continue;
    }
    auto h = handles.get(name);
    if (!h)
      return std::nullopt;
    out.push_back(std::move(h));
  }
  return out;
}

} // namespace

manifests::load_options load_options_of(const config::daemon_config& flags) {
  manifests::load_options load;
  load.paths = flags.git_path;
  if (!flags.k8s_default_namespace.empty())
    load.default_namespace = flags.k8s_default_namespace;
  // Parsing has merged --k8s-namespace-whitelist into it.
  load.allow_namespaces = flags.k8s_allow_namespace;
  return load;
}

std::vector<child_spec>
automation_children(const config::daemon_config& flags,
                    std::shared_ptr<child_handles> handles) {
  std::vector<child_spec> out;
  if (flags.git_url.empty())
    return out;
  const bool scanning = !flags.registry_disable_scanning;
  const bool automate = !flags.git_readonly && scanning;

  job_queue_config jc;
  jc.load = load_options_of(flags);
  jc.readonly = flags.git_readonly;
  jc.job_timeout = span(flags.sync_timeout);
  std::vector<std::string> job_deps{
    "git-mirror", flags.git_readonly ? "" : "git-writer",
    scanning ? "registry-scanner" : "",
    flags.notify_webhook.empty() ? "" : "notifier"};
  child_spec jobs;
  jobs.name = "jobs";
  jobs.start = [jc, handles, job_deps](caf::local_actor* parent) {
    auto deps = wanted_handles(*handles, job_deps);
    if (!deps)
      return caf::actor{};
    auto cfg = jc;
    cfg.mirror = caf::actor_cast<git_mirror_actor>((*deps)[0]);
    cfg.writer = caf::actor_cast<git_writer_actor>((*deps)[1]);
    cfg.scanner = caf::actor_cast<registry_scanner_actor>((*deps)[2]);
    cfg.events = caf::actor_cast<event_sink_actor>((*deps)[3]);
    auto h = caf::actor_cast<caf::actor>(parent->spawn(job_queue, cfg));
    stop_with(h, *deps);
    return h;
  };
  out.push_back(std::move(jobs));

  automation_config ac;
  ac.load = load_options_of(flags);
  ac.files = shared_revision_cache(flags);
  ac.interval = span(flags.automation_interval);
  ac.batch_window = span(flags.automation_batch_window);
  std::vector<std::string> auto_deps{"git-mirror",
                                     scanning ? "registry-scanner" : "",
                                     automate ? "jobs" : ""};
  child_spec autom;
  autom.name = "automation";
  autom.start = [ac, handles, auto_deps](caf::local_actor* parent) {
    auto deps = wanted_handles(*handles, auto_deps);
    if (!deps)
      return caf::actor{};
    auto cfg = ac;
    cfg.mirror = caf::actor_cast<git_mirror_actor>((*deps)[0]);
    cfg.scanner = caf::actor_cast<registry_scanner_actor>((*deps)[1]);
    cfg.jobs = caf::actor_cast<job_queue_actor>((*deps)[2]);
    auto h = caf::actor_cast<caf::actor>(parent->spawn(automation, cfg));
    stop_with(h, *deps);
    return h;
  };
  out.push_back(std::move(autom));
  return recorded(std::move(out), std::move(handles));
}

} // namespace fluxd
