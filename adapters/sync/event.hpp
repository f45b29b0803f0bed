#pragma once

#include <chrono>
#include <string>
#include <vector>

/// Flux v1's `sync` event (§7.7): the commits a sync brought to the
/// cluster, what kinds of change they include, the workloads that changed
/// and the per-resource errors, as the JSON its notifiers and Weave Cloud
/// read (pkg/event's Event with SyncEventMetadata, without the ID).
namespace fluxd::sync {

struct event_commit {
  std::string revision;
  std::string message;
  std::string note; ///< its job note in --git-notes-ref ("" none)
};

struct event_error {
  std::string id;
  std::string path;
  std::string error;
};

struct sync_event {
  std::vector<event_commit> commits; ///< newest first
  bool initial = false;  ///< no sync marker before this sync
  std::vector<std::string> changed; ///< resource IDs whose manifest changed
  std::vector<event_error> errors;
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point ended;
};

/// The kind of change a commit's job note records, as Flux v1 names it in
/// `includes`: "release", "autorelease", "update_policy", or "other" (no
/// note, or one fluxd does not know).
std::string note_kind(const std::string& note);

/// The event as JSON: {"serviceIDs", "type": "sync", "startedAt",
/// "endedAt", "logLevel", "metadata": {"commits", "includes",
/// "initialSync", "errors"}}. Notes are not read on an initial sync.
std::string event_json(const sync_event& e);

/// RFC 3339 UTC with milliseconds, as Go's time.Time marshals.
std::string rfc3339(std::chrono::system_clock::time_point t);

} // namespace fluxd::sync
