#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "adapters/api/daemon_api.hpp"

namespace fluxd::test {

/// A daemon_api holding fixed state: the workloads and images of Flux v1's
/// e2e test 15 (§13.7). It is a test double on purpose: the actors that own
/// this state (sync, automation, jobs) are being written beside the API, so
/// these tests pin the HTTP/fluxctl side against known answers. Writes are
/// recorded, jobs succeed at once.
class fixture_daemon : public api::daemon_api {
public:
  fixture_daemon();

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
  std::string version() override { return "1.25.4"; }
  void notify_change(const api::change& c) override;

  // -- what the tests look at -------------------------------------------
  std::vector<api::update_spec> specs() const;
  std::vector<api::change> changes() const;
  int regenerations() const;
  /// Number of /v6/sync polls answered "not applied" before "applied".
  void set_pending_syncs(int n);
  void set_ping_error(std::string e);

  std::vector<api::controller_status> workloads;
  std::vector<api::image_status> images;

private:
  mutable std::mutex mtx_;
  std::vector<api::update_spec> specs_;
  std::vector<api::change> changes_;
  int regenerations_ = 0;
  int pending_syncs_ = 0;
  std::string ping_error_;
};

/// 2020-03-20T13:53:05.47178071Z and friends, as Unix nanoseconds.
int64_t at(const std::string& rfc3339);

} // namespace fluxd::test
