#pragma once

#include <string>
#include <string_view>

#include "adapters/release/result.hpp"
#include "adapters/release/spec.hpp"

/// Job records (§3.4.6, §10.4): status as fluxctl sees it, and the git note
/// written on every job commit so that status survives a restart.
namespace fluxd::release {

enum class job_state { queued, running, succeeded, failed };

std::string to_string(job_state s);
job_state job_state_from_string(const std::string& s);

struct job_status {
  std::string id;
  job_state state = job_state::queued;
  std::string error; ///< failed jobs
  /// Result members (all empty while queued).
  std::string revision;
  bool has_spec = false;
  update_spec spec;
  result outcome;
};

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` from a random source.
std::string new_job_id();

/// Flux v1's job.Status JSON: {"Result":{...},"Err":"","StatusString":…}.
std::string status_json(const job_status& s);
job_status status_from_json(std::string_view text);

/// The note on a job's commit: {"jobID","spec","result"}.
std::string note_json(const std::string& job_id, const update_spec& spec,
                      const result& r);

/// The event of a job's commit: the note plus the pushed `revision`, so a
/// notification can name the commit.
std::string commit_event_json(const std::string& job_id,
                              const update_spec& spec, const result& r,
                              const std::string& revision);

/// A note read back from git; `ok` false when the text is not a job note.
struct job_note {
  bool ok = false;
  std::string job_id;
  update_spec spec;
  result outcome;
};
job_note parse_note(std::string_view text);

} // namespace fluxd::release
