#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "adapters/api/daemon_api.hpp"
#include "caf/actor.hpp"
#include "caf/actor_system.hpp"

namespace fluxd {

struct api_daemon_config {
  /// The root supervisor; the git mirror is found below it by name.
  caf::actor root;
  std::vector<std::string> mirror_path{"repositories", "git-mirror"};
  /// Where the registry scanner is found, for image notifications.
  std::vector<std::string> scanner_path{"registries", "registry-scanner"};
  std::vector<std::string> cluster_path{"cluster", "cluster-view"};
  std::vector<std::string> sync_path{"repositories", "sync"};
  std::vector<std::string> jobs_path{"automation", "jobs"};
  std::vector<std::string> automation_path{"automation", "automation"};
  bool git_readonly = false; ///< --git-readonly: ReadOnlyMode
  /// From the flags: what git-repo-config reports besides the status.
  std::string git_url; ///< sanitised
  std::string git_branch;
  std::vector<std::string> git_paths;
  std::string version;
  /// The deploy key (ssh::deploy_keyring::public_key / regenerate); empty
  /// when git needs no SSH key: Flux v1's empty key.
  std::function<api::public_key(bool regenerate)> public_ssh_key;
  /// Every actor request of an HTTP call gets this long.
  std::chrono::milliseconds timeout{2000};
  /// Plans (computed inside the request, as Flux v1) and export get this.
  std::chrono::milliseconds long_timeout{60000};
};

/// The Flux API answered by fluxd's actors, one CAF request (with a
/// timeout) per question from the HTTP worker thread: workloads from the
/// cluster view's watches joined with the policies at git's head (the
/// automation actor) and the last sync's errors; images from the
/// automation actor; releases and jobs through the repository's job queue;
/// sync status from the sync coordinator's marker and the mirror's log;
/// notify as a fetch or a priority rescan. An actor that is not running
/// (no Kubernetes configuration, no --git-url) makes its questions answer
/// a 500 that says which.
class api_daemon : public api::daemon_api {
public:
  api_daemon(caf::actor_system& sys, api_daemon_config cfg);

  std::vector<api::controller_status>
  list_services(const std::string& ns,
                const std::vector<std::string>& services) override;
  std::vector<api::image_status>
  list_images(const std::string& spec, const std::string& ns,
              const std::vector<std::string>& fields) override;
  std::string update_manifests(const api::update_spec& spec) override;
  api::job_status job_status(const std::string& id) override;
  std::vector<std::string> sync_status(const std::string& ref) override;
  std::string export_cluster() override;
  api::git_config git_repo_config(bool regenerate) override;
  void ping() override;
  std::string version() override;
  void notify_change(const api::change& c) override;

private:
  caf::actor find(const std::vector<std::string>& path);
  caf::actor mirror() { return find(cfg_.mirror_path); }
  /// The synced revision: the sync coordinator's when it runs, else the
  /// mirror's marker tag.
  std::string synced_revision();

  caf::actor_system& sys_;
  api_daemon_config cfg_;
};

/// True when two git URLs name the same repository (host and path, ignoring
/// scheme, user, a leading '/', a trailing ".git"), as Flux v1 compares
/// notify URLs with --git-url.
bool same_git_repository(const std::string& a, const std::string& b);

} // namespace fluxd
