#pragma once

#include <chrono>

#include "adapters/ui/status.hpp"

namespace fluxd::test {

/// Hostile text as a manifest annotation could carry it.
inline const std::string script_text =
    "<script>alert(1)</script> \"quoted\" & 'single' <img src=x "
    "onerror=alert(2)>";

inline ui::time_point at(long seconds_since_epoch) {
  return ui::time_point{std::chrono::seconds{seconds_since_epoch}};
}

/// A fixed snapshot with one of everything the page must show: a healthy
/// automated workload with a pending update, a locked one whose lock
/// message is hostile markup, one with a sync error, a failing repository
/// fetch, events of each kind, a registry host backing off and one whose
/// actor does not answer.
inline ui::status_snapshot sample_snapshot() {
  ui::status_snapshot s;
  s.generated = at(1795881600); // 2026-11-28T16:00:00Z
  s.daemon.version = "1.2.3";
  s.daemon.started = at(1795878000);
  s.daemon.ready = false;
  s.daemon.not_ready = {{"registries", "scanning"}};

  ui::repository_status repo;
  repo.url = "https://deploy:s3cr3t-token@github.com/acme/cluster.git";
  repo.branch = "main";
  repo.paths = {"apps", "infra"};
  repo.revision = "0123456789abcdef0123456789abcdef01234567";
  repo.sync_marker = "0123456789abcdef0123456789abcdef01234567";
  repo.status = "ready";
  repo.last_fetch = at(1795881590);
  repo.sync_errors = {
      {"default:service/web", "apps/web service.yaml",
       "Service \"web\" is invalid: spec.ports: Required"},
      {"", "apps/broken.yaml", "yaml: line 3: mapping values are not allowed"}};
  s.repositories.push_back(repo);

  ui::repository_status broken;
  broken.url = "ssh://git@gitlab.example.com/ops/other.git";
  broken.branch = "release";
  broken.status = "unreachable";
  broken.last_error = "fetch: connection refused";
  s.repositories.push_back(broken);

  ui::workload_status web;
  web.id = "default:deployment/web";
  web.containers = {{"web", "ghcr.io/acme/web:1.0.0"},
                    {"sidecar", "index.docker.io/library/nginx:1.25"}};
  web.rollout_status = "ready";
  web.policy.automated = true;
  web.policy.tag_filters = {{"web", "semver:~1"}};
  web.drift_corrections = 3;
  web.repository = repo.url;
  web.file = "apps/web deployment.yaml";
  web.revision = repo.revision;
  s.workloads.push_back(web);

  ui::workload_status api;
  api.id = "prod:deployment/api";
  api.containers = {{"api", "ghcr.io/acme/api:2.4.1"}};
  api.rollout_status = "ready";
  api.policy.locked = true;
  api.policy.locked_user = "Jane <jane@example.com>";
  api.policy.locked_message = script_text;
  api.repository = repo.url;
  api.file = "apps/api.yaml";
  s.workloads.push_back(api);

  ui::workload_status worker;
  worker.id = "jobs:statefulset/worker";
  worker.containers = {{"worker", "ghcr.io/acme/worker:0.9"}};
  worker.rollout_status = "error";
  worker.rollout_message = "1 of 3 replicas unavailable";
  worker.sync_error = "apply failed: spec.replicas: Invalid value: -1";
  worker.repository = broken.url;
  worker.file = "jobs/worker.yaml";
  s.workloads.push_back(worker);

  ui::image_status pending;
  pending.workload = web.id;
  pending.container = "web";
  pending.repository = "ghcr.io/acme/web";
  pending.current_tag = "1.0.0";
  pending.newest_tag = "1.1.0";
  pending.update_pending = true;
  s.images.push_back(pending);
  ui::image_status current;
  current.workload = api.id;
  current.container = "api";
  current.repository = "ghcr.io/acme/api";
  current.current_tag = "2.4.1";
  current.newest_tag = "2.4.1";
  s.images.push_back(current);

  s.events = {
      {at(1795881590), ui::event_kind::sync, "Sync: 0123456, 3 workloads"},
      {at(1795881500), ui::event_kind::commit,
       "Commit: Auto-release ghcr.io/acme/web:1.1.0 " + script_text},
      {at(1795881400), ui::event_kind::release, "Release: prod:deployment/api"},
      {at(1795881300), ui::event_kind::failure,
       "Sync failed for jobs:statefulset/worker"}};

  ui::registry_host_status ghcr;
  ghcr.host = "ghcr.io";
  ghcr.request_rate = 12.5;
  ghcr.backing_off = true;
  ghcr.requests = 420;
  ghcr.throttled = 7;
  ghcr.last_error = "429 Too Many Requests";
  ghcr.last_error_at = at(1795881580);
  ghcr.backoff_until = at(1795881630);
  ghcr.requests_last_minute = 31;
  ghcr.in_flight = 2;
  ghcr.queued = 17;
  ghcr.ratelimit_remaining = 0;
  ghcr.repositories = 3;
  s.registry_hosts.push_back(ghcr);
  ui::registry_host_status quay;
  quay.host = "quay.io";
  quay.answering = false;
  quay.last_error = "host actor did not answer: " + script_text;
  quay.repositories = 1;
  s.registry_hosts.push_back(quay);
  return s;
}

} // namespace fluxd::test
