#include "actors/api_daemon.hpp"

#include <chrono>

#include "adapters/api/listing.hpp"
#include "adapters/log/log.hpp"
#include "caf/actor_cast.hpp"
#include "caf/scoped_actor.hpp"
#include "messages/automation.hpp"
#include "messages/cluster.hpp"
#include "messages/git.hpp"
#include "messages/registry.hpp"
#include "messages/sync.hpp"

namespace fluxd {

namespace {

/// `what` needs an actor this fluxd does not run; `why` says which flag or
/// configuration starts it.
api::api_error unavailable(const std::string& what, const std::string& why) {
  return api::api_error{http::flux_error{
      "server",
      what + " is not available: " + why + ".\n",
      what + " is not available: " + why}};
}

constexpr const char* no_cluster =
    "fluxd has no Kubernetes configuration (--kube-config, KUBECONFIG, "
    "~/.kube/config or in-cluster) or is still starting";
constexpr const char* no_repo = "fluxd runs without --git-url";

/// Another actor's error text: the context's string, else its rendering.
std::string text_of(caf::actor_system& sys, const caf::error& err) {
  const auto& ctx = err.context();
  if (!ctx.empty() && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return sys.render(err);
}

int64_t unix_nanos(caf::timestamp t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           t.time_since_epoch())
    .count();
}

api::live_workload_row to_row(const live_workload& w) {
  api::live_workload_row r;
  r.id = w.id;
  for (auto& c : w.containers)
    r.containers.emplace_back(c.name, c.image);
  r.status = w.status;
  r.rollout.desired = w.desired;
  r.rollout.updated = w.updated;
  r.rollout.ready = w.ready;
  r.rollout.available = w.available;
  r.rollout.outdated = w.outdated;
  if (!w.messages.empty())
    r.rollout.messages = w.messages;
  r.antecedent = w.antecedent;
  r.labels = w.labels;
  return r;
}

api::image_row to_row(const container_images& c) {
  api::image_row r;
  r.workload = c.workload;
  r.container = c.container;
  r.current = c.current;
  r.pattern = c.pattern;
  r.have_data = c.problem != "image data not available";
  for (auto& t : c.available)
    r.available.push_back({t.tag, unix_nanos(t.created)});
  return r;
}

api::api_error failed(const std::string& what, const caf::error& err) {
  return api::api_error{
      http::flux_error{"server",
                       "fluxd could not answer: " + what
                           + "\n\nThe component that holds this "
                             "state did not reply in time (a git fetch may\nbe "
                             "running). It is safe "
                             "to retry.\n",
                       what + ": " + caf::to_string(err)}};
}

/// host + path of a git URL in scp or URL form, without user, scheme,
/// leading '/' and trailing ".git".
std::string repo_key(std::string url) {
  auto scheme = url.find("://");
  std::string host, path;
  if (scheme != std::string::npos) {
    auto rest = url.substr(scheme + 3);
    auto slash = rest.find('/');
    host = rest.substr(0, slash);
    path = slash == std::string::npos ? "" : rest.substr(slash);
  } else {
    auto colon = url.find(':');
    host = url.substr(0, colon);
    path = colon == std::string::npos ? "" : url.substr(colon + 1);
  }
  if (auto at = host.rfind('@'); at != std::string::npos)
    host = host.substr(at + 1);
  while (!path.empty() && path.front() == '/')
    path.erase(0, 1);
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".git") == 0)
    path.resize(path.size() - 4);
  return host + "/" + path;
}

} // namespace

bool same_git_repository(const std::string& a, const std::string& b) {
  return repo_key(a) == repo_key(b);
}

api_daemon::api_daemon(caf::actor_system& sys, api_daemon_config cfg)
    : sys_(sys), cfg_(std::move(cfg)) {
  // nop
}

caf::actor api_daemon::find(const std::vector<std::string>& path) {
  caf::scoped_actor self{sys_};
  caf::actor at = cfg_.root;
  for (auto& name : path) {
    caf::actor next;
    caf::error err;
    self->request(at, cfg_.timeout, caf::get_atom_v, name)
        .receive([&](caf::actor& a) { next = std::move(a); },
                 [&](caf::error& e) { err = std::move(e); });
    if (err || !next)
      return nullptr;
    at = next;
  }
  return at;
}

std::vector<api::controller_status>
api_daemon::list_services(const std::string& ns,
                          const std::vector<std::string>& services) {
  auto view = find(cfg_.cluster_path);
  if (!view)
    throw unavailable("listing workloads", no_cluster);
  caf::scoped_actor self{sys_};
  caf::error err;
  std::vector<api::live_workload_row> live;
  self
    ->request(caf::actor_cast<cluster_view_actor>(view), cfg_.timeout,
              cluster_workloads_atom_v, ns)
    .receive(
      [&](std::vector<live_workload>& ws) {
        for (auto& w : ws)
          live.push_back(to_row(w));
      },
      [&](caf::error& e) { err = std::move(e); });
  if (err)
    throw failed("listing workloads in the cluster", err);

  api::git_view git;
  git.readonly = cfg_.git_readonly;
  if (!cfg_.git_url.empty()) {
    git.repo = api::git_view::repo_state::not_ready;
    if (auto autom = find(cfg_.automation_path)) {
      self
        ->request(caf::actor_cast<automation_actor>(autom), cfg_.timeout,
                  git_workloads_atom_v)
        .receive(
          [&](git_workloads& gw) {
            if (gw.revision.empty())
              return;
            git.repo = api::git_view::repo_state::ready;
            for (auto& w : gw.workloads)
              git.policies[w.id] = std::move(w.policies);
          },
          [&](caf::error&) {}); // not loaded yet: NotReady
    }
  }

  std::map<std::string, std::string> sync_errors;
  if (auto sync = find(cfg_.sync_path)) {
    self
      ->request(caf::actor_cast<sync_actor>(sync), cfg_.timeout,
                sync_errors_atom_v)
      .receive(
        [&](std::vector<resource_error>& errs) {
          for (auto& e : errs)
            if (!e.id.empty())
              sync_errors[e.id] = e.error;
        },
        [&](caf::error&) {}); // busy: no errors shown this time
  }
  return api::workload_statuses(live, git, sync_errors, services);
}

std::vector<api::image_status>
api_daemon::list_images(const std::string& spec, const std::string& ns,
                        const std::vector<std::string>& fields) {
  auto autom = find(cfg_.automation_path);
  if (!autom)
    throw unavailable("listing images", no_repo);
  caf::scoped_actor self{sys_};
  caf::error err;
  std::vector<api::image_row> rows;
  // One workload's rows are built alone: every workload's tag lists would
  // take seconds and hundreds of MB with thousands of workloads.
  auto only = spec == "<all>" ? std::string{} : spec;
  self
    ->request(caf::actor_cast<automation_actor>(autom), cfg_.timeout,
              list_images_atom_v, only)
    .receive(
      [&](std::vector<container_images>& cs) {
        for (auto& c : cs)
          rows.push_back(to_row(c));
      },
      [&](caf::error& e) { err = std::move(e); });
  if (err)
    throw failed("listing images", err);
  return api::image_statuses(rows, spec, ns, fields);
}

std::string api_daemon::update_manifests(const api::update_spec& spec) {
  auto jobs = find(cfg_.jobs_path);
  if (!jobs)
    throw unavailable("update-manifests (" + spec.type + ")", no_repo);
  caf::scoped_actor self{sys_};
  caf::error err;
  std::string id;
  self
    ->request(caf::actor_cast<job_queue_actor>(jobs), cfg_.long_timeout,
              job_submit_atom_v, api::to_json(spec))
    .receive([&](std::string& r) { id = std::move(r); },
             [&](caf::error& e) { err = std::move(e); });
  if (!err)
    return id;
  if (err.category() == caf::atom("job")
      && err.code() == static_cast<uint8_t>(job_errc::bad_spec))
    throw api::api_error{http::flux_error{
      "user", text_of(sys_, err) + "\n", text_of(sys_, err)}};
  throw failed("queueing the job", err);
}

api::job_status api_daemon::job_status(const std::string& id) {
  auto jobs = find(cfg_.jobs_path);
  if (!jobs)
    throw api::unknown_job(id);
  caf::scoped_actor self{sys_};
  caf::error err;
  job_info info;
  self
    ->request(caf::actor_cast<job_queue_actor>(jobs), cfg_.timeout,
              job_status_atom_v, id)
    .receive([&](job_info& r) { info = std::move(r); },
             [&](caf::error& e) { err = std::move(e); });
  if (err) {
    if (err.category() == caf::atom("job")
        && err.code() == static_cast<uint8_t>(job_errc::unknown_job))
      throw api::unknown_job(id);
    throw failed("job status", err);
  }
  return api::decode_job_status(info.json);
}

std::string api_daemon::synced_revision() {
  caf::scoped_actor self{sys_};
  caf::error err;
  if (auto sync = find(cfg_.sync_path)) {
    std::string synced;
    self
      ->request(caf::actor_cast<sync_actor>(sync), cfg_.timeout,
                sync_status_atom_v)
      .receive([&](fluxd::sync_status& st) { synced = std::move(st.synced); },
               [&](caf::error& e) { err = std::move(e); });
    if (err)
      throw failed("reading the synced revision", err);
    return synced;
  }
  auto m = mirror();
  if (!m)
    throw unavailable("sync status", no_repo);
  std::string marker;
  self
    ->request(caf::actor_cast<git_mirror_actor>(m), cfg_.timeout,
              git_marker_atom_v)
    .receive([&](std::string& r) { marker = std::move(r); },
             [&](caf::error& e) { err = std::move(e); });
  if (err)
    throw failed("reading the sync marker", err);
  return marker;
}

std::vector<std::string> api_daemon::sync_status(const std::string& ref) {
  auto m = mirror();
  if (!m)
    throw unavailable("sync status", no_repo);
  auto marker = synced_revision();
  caf::scoped_actor self{sys_};
  caf::error err;
  std::vector<std::string> out;
  self
    ->request(caf::actor_cast<git_mirror_actor>(m), cfg_.timeout,
              git_log_atom_v, marker, ref, false)
    .receive(
      [&](git_log& log) {
        for (auto& c : log.commits)
          out.push_back(c.revision);
      },
      [&](caf::error& e) { err = std::move(e); });
  if (err)
    throw failed("listing commits " + marker + ".." + ref, err);
  return out;
}

std::string api_daemon::export_cluster() {
  auto view = find(cfg_.cluster_path);
  if (!view)
    throw unavailable("export", no_cluster);
  caf::scoped_actor self{sys_};
  caf::error err;
  std::string out;
  self
    ->request(caf::actor_cast<cluster_view_actor>(view), cfg_.long_timeout,
              cluster_export_atom_v)
    .receive([&](std::string& yaml) { out = std::move(yaml); },
             [&](caf::error& e) { err = std::move(e); });
  if (err)
    throw failed("export", err);
  return out;
}

api::git_config api_daemon::git_repo_config(bool regenerate) {
  if (regenerate && !cfg_.public_ssh_key)
    throw unavailable("regenerating the SSH key",
                      "fluxd manages no deploy key (the git URL is not ssh)");
  api::git_config c;
  c.url = cfg_.git_url;
  c.branch = cfg_.git_branch;
  for (auto& p : cfg_.git_paths)
    c.path += (c.path.empty() ? "" : ",") + p;
  if (cfg_.public_ssh_key) {
    try {
      c.public_ssh_key = cfg_.public_ssh_key(regenerate);
    } catch (const std::exception& e) {
      throw api::api_error{http::flux_error{
          "server",
          std::string("fluxd could not read or regenerate its SSH deploy "
                      "key:\n\n    ")
              + e.what() + "\n",
          e.what()}};
    }
  }
  if (cfg_.git_url.empty()) {
    c.status = "unconfigured";
    return c;
  }
  auto m = mirror();
  if (!m) {
    c.status = "new";
    return c;
  }
  caf::scoped_actor self{sys_};
  caf::error err;
  self->request(caf::actor_cast<git_mirror_actor>(m), cfg_.timeout,
                git_status_atom_v)
      .receive(
          [&](git_status& st) {
            c.status = st.status;
            c.errors = st.error;
          },
          [&](caf::error& e) { err = std::move(e); });
  if (err)
    throw failed("git repository status", err);
  return c;
}

void api_daemon::ping() {
  auto view = find(cfg_.cluster_path);
  if (!view)
    throw unavailable("ping", no_cluster);
  caf::scoped_actor self{sys_};
  caf::error err;
  bool up = false;
  self
    ->request(caf::actor_cast<cluster_view_actor>(view), cfg_.timeout,
              cluster_ping_atom_v)
    .receive([&](bool ok) { up = ok; },
             [&](caf::error& e) { err = std::move(e); });
  if (err)
    throw failed("ping", err);
  if (!up)
    throw api::api_error{http::flux_error{
      "server",
      "The Kubernetes API server did not answer fluxd.\n",
      "kubernetes API server unreachable"}};
}

std::string api_daemon::version() {
  return cfg_.version;
}

void api_daemon::notify_change(const api::change& c) {
  static const log::logger log{"api"};
  if (c.kind != "git") {
    auto image =
        (c.image_domain.empty() ? "" : c.image_domain + "/") + c.image_name;
    auto scanner = find(cfg_.scanner_path);
    if (!scanner) {
      log.info("image change noted; no registry scanner runs",
               {{"image", image}});
      return;
    }
    caf::anon_send(caf::actor_cast<registry_scanner_actor>(scanner),
                   rescan_atom_v, image, true);
    return;
  }
  if (same_git_repository(c.git_url, cfg_.git_url)
      && c.git_branch != cfg_.git_branch) {
    log.info("notified of a change on another branch; ignoring",
             {{"branch", c.git_branch}});
    return;
  }
  auto m = mirror();
  if (!m)
    throw unavailable("fetching", no_repo);
  // Fire and forget: the mirror answers after the fetch, and a sync
  // follows when the head moved.
  caf::anon_send(caf::actor_cast<git_mirror_actor>(m), git_fetch_atom_v);
}

} // namespace fluxd
