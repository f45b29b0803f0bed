#include "adapters/api/daemon_api.hpp"

namespace fluxd::api {

api_error unknown_job(const std::string& id) {
  return api_error{http::flux_error{
      "missing",
      "Job not found\n"
      "\n"
      "This is often because the job did not result in committing changes,\n"
      "and therefore had no lasting effect. A release dry-run is an example\n"
      "of a job that does not result in a commit.\n"
      "\n"
      "If you were expecting changes to be committed, this may mean that the\n"
      "job failed, but its status was lost.\n"
      "\n"
      "In both of the above cases it is OK to retry the operation that\n"
      "resulted in this error.\n"
      "\n"
      "If you get this error repeatedly, it's probably a bug. Please log an\n"
      "issue describing what you were attempting, and posting logs from the\n"
      "daemon if possible:\n"
      "\n"
      "    https://github.com/fluxcd/flux/issues\n"
      "\n",
      "unknown job \"" + id + "\""}};
}

} // namespace fluxd::api

namespace fluxd::api {

void deferred_daemon::set(daemon_api* target) {
  std::lock_guard<std::mutex> g{mtx_};
  target_ = target;
}

daemon_api& deferred_daemon::target() {
  std::lock_guard<std::mutex> g{mtx_};
  if (!target_)
    throw api_error{http::flux_error{
        "server", "fluxd is starting (or stopping); try again in a moment.\n",
        "fluxd is not ready"}};
  return *target_;
}

std::vector<controller_status>
deferred_daemon::list_services(const std::string& ns,
                               const std::vector<std::string>& services) {
  return target().list_services(ns, services);
}

std::vector<image_status>
deferred_daemon::list_images(const std::string& spec, const std::string& ns,
                             const std::vector<std::string>& fields) {
  return target().list_images(spec, ns, fields);
}

std::string deferred_daemon::update_manifests(const update_spec& spec) {
  return target().update_manifests(spec);
}

api::job_status deferred_daemon::job_status(const std::string& id) {
  return target().job_status(id);
}

std::vector<std::string> deferred_daemon::sync_status(const std::string& ref) {
  return target().sync_status(ref);
}

std::string deferred_daemon::export_cluster() {
  return target().export_cluster();
}

git_config deferred_daemon::git_repo_config(bool regenerate) {
  return target().git_repo_config(regenerate);
}

void deferred_daemon::ping() {
  target().ping();
}

std::string deferred_daemon::version() {
  return target().version();
}

void deferred_daemon::notify_change(const change& c) {
  target().notify_change(c);
}

} // namespace fluxd::api
