#include "adapters/metrics/fluxd_metrics.hpp"

#include "fluxd/version.hpp"

namespace fluxd::metrics {

namespace {

std::vector<double> sync_buckets() {
  return {0.5, 5, 10, 20, 30, 40, 50, 60, 75, 90, 120, 240};
}

std::vector<double> job_buckets() {
  return {0.1, 0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60, 120};
}

fluxd_metrics* make() {
  auto& r = default_registry();
  auto* m = new fluxd_metrics{
    r.add_histogram("flux_daemon_sync_duration_seconds",
                    "Duration of git-to-cluster synchronisation, in seconds.",
                    {"success"}, sync_buckets()),
    r.add_gauge("flux_daemon_sync_manifests",
                "Number of synchronised manifests.", {"success"}),
    r.add_histogram("flux_daemon_job_duration_seconds",
                    "Duration of job execution, in seconds.", {"success"},
                    job_buckets()),
    r.add_histogram("flux_daemon_queue_duration_seconds",
                    "Duration of time spent in the job queue before execution.",
                    {}, job_buckets()),
    r.add_gauge("flux_daemon_queue_length_count",
                "Count of jobs waiting in the queue to be run."),
    r.add_gauge("flux_git_ready", "Status of the git repository."),
    r.add_histogram("flux_fluxsvc_release_duration_seconds",
                    "Release method duration in seconds.",
                    {"release_type", "release_kind", "success"}),
    r.add_histogram("flux_fluxsvc_release_stage_duration_seconds",
                    "Duration in seconds of each stage of a release, "
                    "including dry-runs.",
                    {"stage"}),
    r.add_histogram("flux_registry_fetch_duration_seconds",
                    "Duration of Image metadata fetches, in seconds.",
                    {"success"}),
    r.add_histogram("flux_client_fetch_duration_seconds",
                    "Duration of remote image metadata requests.",
                    {"kind", "success"}),
    r.add_gauge("fluxd_build_info", "fluxd's version; always 1.",
                {"version"}),
    r.add_counter("fluxd_actor_restarts_total",
                  "Actors restarted by their supervisor after a crash.",
                  {"supervisor", "child"}),
    r.add_counter("fluxd_actor_escalations_total",
                  "Supervisors that gave up after too many restarts.",
                  {"supervisor"}),
  };
  m->build_info.with({fluxd::version}).set(1);
  m->git_ready.with({}).set(0);
  m->queue_length.with({}).set(0);
  return m;
}

} // namespace

fluxd_metrics& standard() {
  static fluxd_metrics* m = make();
  return *m;
}

} // namespace fluxd::metrics
