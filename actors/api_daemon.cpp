#include "actors/api_daemon.hpp"

#include "adapters/log/log.hpp"
#include "caf/actor_cast.hpp"
#include "caf/scoped_actor.hpp"
#include "messages/git.hpp"
#include "messages/registry.hpp"

namespace fluxd {

namespace {

api::api_error unavailable(const std::string& what) {
  return api::api_error{http::flux_error{
      "server",
      what
          + " is not available in this fluxd yet.\n\n"
            "fluxd answers git-repo-config, sync status, notify and "
            "version;\nworkloads, images, releases and jobs come with the "
            "cluster and automation\nactors.\n",
      what + " is not available yet"}};
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
api_daemon::list_services(const std::string&, const std::vector<std::string>&) {
  throw unavailable("listing workloads");
}

std::vector<api::image_status>
api_daemon::list_images(const std::string&, const std::string&,
                        const std::vector<std::string>&) {
  throw unavailable("listing images");
}

std::string api_daemon::update_manifests(const api::update_spec& spec) {
  throw unavailable("update-manifests (" + spec.type + ")");
}

api::job_status api_daemon::job_status(const std::string& id) {
  // No job actor yet, so no job can be known.
  throw api::unknown_job(id);
}

std::vector<std::string> api_daemon::sync_status(const std::string& ref) {
  auto m = mirror();
  if (!m)
    throw unavailable("sync status without a git repository");
  auto handle = caf::actor_cast<git_mirror_actor>(m);
  caf::scoped_actor self{sys_};
  std::string marker;
  caf::error err;
  self->request(handle, cfg_.timeout, git_marker_atom_v)
      .receive([&](std::string& r) { marker = std::move(r); },
               [&](caf::error& e) { err = std::move(e); });
  if (err)
    throw failed("reading the sync marker", err);
  std::vector<std::string> out;
  self->request(handle, cfg_.timeout, git_log_atom_v, marker, ref, false)
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
  throw unavailable("export");
}

api::git_config api_daemon::git_repo_config(bool regenerate) {
  if (regenerate)
    throw unavailable("regenerating the SSH key");
  api::git_config c;
  c.url = cfg_.git_url;
  c.branch = cfg_.git_branch;
  for (auto& p : cfg_.git_paths)
    c.path += (c.path.empty() ? "" : ",") + p;
  c.public_ssh_key.key = ""; // no keyring: Flux v1's empty key
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
  throw unavailable("ping (Kubernetes API check)");
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
    throw unavailable("fetching without a git repository");
  // Fire and forget: the mirror answers after the fetch, and a sync
  // follows when the head moved.
  caf::anon_send(caf::actor_cast<git_mirror_actor>(m), git_fetch_atom_v);
}

} // namespace fluxd
