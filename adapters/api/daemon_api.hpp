#pragma once

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/api/types.hpp"
#include "adapters/http/flux_error.hpp"

namespace fluxd::api {

/// A structured Flux error from the daemon (type missing/user/server picks
/// 404/422/500). Any other exception thrown by a daemon_api method is
/// answered as Flux v1 does: type user, generic help, 422.
class api_error : public std::runtime_error {
public:
  explicit api_error(http::flux_error err)
      : std::runtime_error(err.error), error_(std::move(err)) {}
  const http::flux_error& error() const { return error_; }

private:
  http::flux_error error_;
};

/// The exact `unknown job "<id>"` error fluxctl shows as "Job not found".
api_error unknown_job(const std::string& id);

/// What the HTTP API asks of the daemon: Flux v1's api.Server plus
/// api.Upstream (pkg/api). The routes validate and parse every request
/// before calling, so implementations get well-formed input.
///
/// Contract: reads (list_services, list_images, job_status, sync_status,
/// export_cluster, git_repo_config(false), public_ssh_key, version) are
/// answered from state the daemon already holds (actor state, caches) and
/// never wait on git, a registry or the cluster beyond a bounded timeout;
/// the HTTP worker threads are few. Writes (update_manifests,
/// notify_change, git_repo_config(true)) enqueue work and return at once,
/// except `plan` releases, which Flux v1 computes inside the request.
/// Every method may be called from several HTTP threads at once.
class daemon_api {
public:
  virtual ~daemon_api() = default;

  /// GET /v6/services, /v11/services. `namespace_` is empty for all;
  /// `services` (IDs) is empty for all. Never both set.
  virtual std::vector<controller_status>
  list_services(const std::string& namespace_,
                const std::vector<std::string>& services) = 0;

  /// GET /v6/images, /v10/images. `spec` is an ID or "<all>";
  /// `container_fields` empty means all nine Container fields.
  virtual std::vector<image_status>
  list_images(const std::string& spec, const std::string& namespace_,
              const std::vector<std::string>& container_fields) = 0;

  /// POST /v9/update-manifests: returns the job ID.
  virtual std::string update_manifests(const update_spec& spec) = 0;

  /// GET /v6/jobs: throws unknown_job() for an unknown ID.
  virtual api::job_status job_status(const std::string& id) = 0;

  /// GET /v6/sync: commits up to `ref` not yet applied (empty: applied).
  virtual std::vector<std::string> sync_status(const std::string& ref) = 0;

  /// GET /v6/export: the cluster's workloads as a multi-document YAML.
  virtual std::string export_cluster() = 0;

  /// POST /v9/git-repo-config (and the legacy identity.pub routes).
  virtual git_config git_repo_config(bool regenerate) = 0;

  /// GET /v11/ping: throws when the Kubernetes API does not answer.
  virtual void ping() = 0;

  /// GET /v11/version.
  virtual std::string version() = 0;

  /// POST /v11/notify and the webhooks: asks for a git fetch or an image
  /// scan now. Carries no state; the daemon re-reads the source itself.
  virtual void notify_change(const change& c) = 0;
};

} // namespace fluxd::api

namespace fluxd::api {

/// Forwards to a daemon_api that exists only later (fluxd installs its
/// routes before the actor system starts); until set() every call answers
/// a 500 "fluxd is starting". set(nullptr) detaches again for shutdown.
class deferred_daemon : public daemon_api {
public:
  void set(daemon_api* target);

  std::vector<controller_status>
  list_services(const std::string& ns,
                const std::vector<std::string>& services) override;
  std::vector<image_status>
  list_images(const std::string& spec, const std::string& ns,
              const std::vector<std::string>& fields) override;
  std::string update_manifests(const update_spec& spec) override;
  api::job_status job_status(const std::string& id) override;
  std::vector<std::string> sync_status(const std::string& ref) override;
  std::string export_cluster() override;
  git_config git_repo_config(bool regenerate) override;
  void ping() override;
  std::string version() override;
  void notify_change(const change& c) override;

private:
  daemon_api& target();
  std::mutex mtx_;
  daemon_api* target_ = nullptr;
};

} // namespace fluxd::api
