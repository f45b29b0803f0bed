#pragma once

#include <string>

#include "adapters/release/result.hpp"
#include "adapters/release/spec.hpp"

/// Commit messages of job commits (§9.6).
namespace fluxd::release {

/// The message for a job's commit. The ci-skip suffix and the author
/// (the cause's user with --git-set-author) are added by the git adapter
/// (git::commit_message, git::commit_author).
std::string commit_message(const update_spec& s, const result& r);

/// The policy events of a policy job: `Automated: <ids>`, … (§9.6).
std::vector<std::string> policy_events(const policy_spec& s,
                                       const result& r);

} // namespace fluxd::release
