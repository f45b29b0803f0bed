#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

/// What the status page shows: one plain value, built by the daemon from
/// its actors' state and encoded as JSON for /api/fluxd/v1/status. Every
/// string in here may be user input (manifests, commit messages, registry
/// errors); the page renders them as text only.
namespace fluxd::ui {

using time_point = std::chrono::system_clock::time_point;

/// A resource or file the last sync could not apply (Flux v1's SyncError).
struct sync_error {
  std::string id;   ///< namespace:kind/name; empty when a file failed to load
  std::string file; ///< relative to the repository root
  std::string error;
};

/// A git repository fluxd syncs from.
struct repository_status {
  std::string url; ///< credentials are stripped again when encoded
  std::string branch;
  std::vector<std::string> paths;
  std::string revision;    ///< last fetched commit
  std::string sync_marker; ///< commit the sync tag points at
  std::string status;      ///< ready, cloning, unreachable, …
  std::string last_error;
  time_point last_fetch{}; ///< epoch: never
  std::string syncing;     ///< revision being synced now, "" when idle
  std::vector<sync_error> sync_errors; ///< of the newest finished sync
};

struct container_status {
  std::string name;
  std::string image;
};

/// A workload's policies, read from its annotations.
struct workload_policy {
  bool automated = false;
  bool locked = false;
  bool ignored = false;
  std::string locked_user;
  std::string locked_message;
  std::map<std::string, std::string> tag_filters; ///< container → pattern
};

/// A workload in the cluster, and where it is defined in git.
struct workload_status {
  std::string id; ///< namespace:kind/name
  std::vector<container_status> containers;
  std::string rollout_status; ///< ready, updating, error, …
  std::string rollout_message;
  workload_policy policy;
  std::string sync_error;
  uint64_t drift_corrections = 0;
  std::string repository; ///< URL of the repository defining it
  std::string file;       ///< path in that repository
  std::string revision;   ///< commit it was last applied from
};

/// An image in use, and what automation would update it to.
struct image_status {
  std::string workload;
  std::string container;
  std::string repository; ///< canonical image repository
  std::string current_tag;
  std::string newest_tag; ///< newest tag the container's filter allows
  bool update_pending = false;
};

enum class event_kind { sync, commit, release, failure };

std::string to_string(event_kind kind);

struct event {
  time_point time{};
  event_kind kind = event_kind::sync;
  std::string text;
};

/// A registry host as the scanner sees it.
struct registry_host_status {
  std::string host;
  bool answering = true;   ///< false: its actor did not answer in time
  double request_rate = 0; ///< requests per second allowed right now
  uint64_t requests_last_minute = 0;
  uint64_t in_flight = 0;
  uint64_t queued = 0;
  bool backing_off = false;
  time_point backoff_until{}; ///< epoch: not paused
  uint64_t requests = 0;      ///< since fluxd started
  uint64_t throttled = 0;     ///< 429 answers since then
  std::string last_error;
  time_point last_error_at{};
  int64_t ratelimit_remaining = -1; ///< -1: the registry never said
  uint64_t repositories = 0;        ///< image repositories on this host
};

/// The daemon itself: version and readiness of its components.
struct daemon_status {
  std::string version;
  time_point started{};
  bool ready = false;
  std::map<std::string, std::string> not_ready; ///< component → reason
};

struct status_snapshot {
  time_point generated{};
  daemon_status daemon;
  std::vector<repository_status> repositories;
  std::vector<workload_status> workloads;
  std::vector<image_status> images;
  std::vector<event> events; ///< newest first
  std::vector<registry_host_status> registry_hosts;
  /// Sections this daemon cannot fill (yet), e.g. "workloads", so the page
  /// says "not available" instead of showing an empty table as if all is
  /// well.
  std::vector<std::string> unavailable;
};

/// Supplied by the daemon; called on an HTTP worker thread for each status
/// request, so it must return quickly (a cached snapshot, never a git or
/// registry round trip). May throw; the route then answers 503.
using status_provider = std::function<status_snapshot()>;

/// RFC 3339 in UTC with seconds ("2026-11-28T16:00:00Z"); "" for epoch.
std::string format_time(time_point t);

/// The URL without credentials: http(s) lose the whole user-info part (a
/// token is often passed as the user name), ssh keeps the user name but
/// never a password. Anything else is returned unchanged.
std::string strip_credentials(const std::string& url);

/// The snapshot as the JSON the page reads (stable key order, so golden
/// tests can compare text). Adds web links to files and commits where the
/// git host is known.
std::string to_json(const status_snapshot& snap);

} // namespace fluxd::ui
