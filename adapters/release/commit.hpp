#pragma once

#include <string>

#include "adapters/release/result.hpp"
#include "adapters/release/spec.hpp"

/// Commit messages and authors of job commits (§9.6).
namespace fluxd::release {

struct commit_settings {
  bool set_author = false;      ///< --git-set-author
  bool ci_skip = false;         ///< --git-ci-skip
  std::string ci_skip_message;  ///< --git-ci-skip-message (wins)
};

/// The message for a job's commit, before the ci-skip suffix.
std::string commit_message(const update_spec& s, const result& r);

/// Appends `\n\n[ci skip]` (or the configured text) when enabled.
std::string with_ci_skip(std::string message, const commit_settings& c);

/// The `--author` for the commit: the cause's user with --git-set-author,
/// else "" (the committer is --git-user/--git-email).
std::string commit_author(const update_spec& s, const commit_settings& c);

/// The policy events of a policy job: `Automated: <ids>`, … (§9.6).
std::vector<std::string> policy_events(const policy_spec& s,
                                       const result& r);

} // namespace fluxd::release
