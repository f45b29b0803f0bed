#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

/// Events as webhooks receive them: what an emitter sent (a `fluxd_event`'s
/// type and JSON) read into Flux v1's event.Event, and rendered as Flux v1's
/// JSON (generic receivers) or as a Slack message (docs/notifications.md).
namespace fluxd::notify {

/// An event or a webhook that cannot be used; the message names it.
class notify_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A commit of a sync event (Flux v1's event.Commit).
struct commit_info {
  std::string revision;
  std::string message;
};

/// A resource that failed to apply (Flux v1's event.ResourceError).
struct resource_error {
  std::string id;
  std::string path;
  std::string error;
};

/// Flux v1's event.Event plus what the renderers read out of its metadata.
struct event {
  int64_t id = 0; ///< Flux v1 left it 0 until saved; ours: a sequence
  std::string type;
  std::vector<std::string> service_ids; ///< sorted
  int64_t started_at = 0;               ///< Unix nanoseconds
  int64_t ended_at = 0;
  std::string log_level = "info";
  std::string message; ///< Flux v1's pre-formatted Message; usually empty
  boost::json::value metadata; ///< type-specific, Flux v1's shape

  // -- read out of the metadata -------------------------------------------
  std::string revision;               ///< the commit made or synced
  std::vector<commit_info> commits;   ///< sync: newest first
  std::vector<resource_error> errors; ///< sync: per resource
  std::string summary; ///< job events: the commit message's first line
  std::string error;   ///< job events: Flux v1's Result.Error()
  std::vector<std::string> images; ///< job events: images changed
  std::string user;                ///< job events: the cause's user
  std::string cause;               ///< job events: the cause's message
  bool all_workloads = false;      ///< an image release to `<all>`
};

/// Reads what an emitter sent. `json` is either a whole Flux v1 event.Event
/// (it has "metadata"), or the metadata alone, which may also carry
/// "serviceIDs", "logLevel", "message", "startedAt" and "endedAt":
///   commit, release, autorelease, automate, …: a job note
///     {"jobID","spec","result"} (release::note_json) with an optional
///     "revision" and "error";
///   sync: {"commits":[{"revision","message"}],"revision","initialSync",
///     "includes","errors":[{"ID","Path","Error"}]}.
/// `at_nanos` (Unix) is when it happened. Throws notify_error when `json`
/// is not an object or a field has the wrong type.
event parse_event(const std::string& type, std::string_view json,
                  int64_t at_nanos);

/// Flux v1's Event.String() ("Sync: 1a2b3c4d5e6f, demo:deployment/app").
std::string event_string(const event& e);

/// The one line a person reads first: "Synced 1a2b3c4 to the cluster",
/// "Commit 1a2b3c4: Release podinfo:3.1.1 to demo:deployment/podinfo".
std::string headline(const event& e);

/// The event as Flux v1 POSTed it to /v6/events (event.Event JSON).
std::string generic_body(const event& e);

/// A Slack incoming-webhook message: `text` is the headline, one
/// attachment (coloured by outcome) lists commits, workloads and errors.
std::string slack_body(const event& e);

/// The first 7 characters of a revision (as git and fluxcloud show it).
std::string short_revision(const std::string& rev);

} // namespace fluxd::notify
