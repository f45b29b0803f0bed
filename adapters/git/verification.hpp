#pragma once

#include <optional>
#include <string>

#include "adapters/git/repository.hpp"
#include "adapters/git/signing.hpp"

namespace fluxd::git {

/// --git-verify-signatures-mode.
enum class verify_mode { none, all, first_parent };

/// "none" (or ""), "all", "first-parent"; anything else throws
/// git_failure(config), which Flux v1 treats as fatal.
verify_mode parse_verify_mode(const std::string& text);

/// How far the branch can be trusted (Flux v1 §10.5).
struct verified_revision {
  std::string revision; ///< newest revision with only verified commits
                        ///< before it; empty when not even the first is
  std::optional<commit_info> first_invalid; ///< set when head is not it
};

/// Walks from the sync tag (its tag and commit signatures must verify,
/// else git_failure(signature) "failed to verify signature of last
/// sync'ed revision") or from the root, oldest first, over all commits or
/// the first-parent chain, and stops before the first commit whose
/// signature is not good and valid ('G').
verified_revision latest_valid_revision(const repository& repo,
                                        const std::string& sync_tag,
                                        const std::string& head,
                                        verify_mode mode, const openpgp& gpg);

/// The writer's head check: refuses to commit on a head that is not the
/// latest valid revision ("HEAD revision is unsigned").
void require_verified_head(const repository& repo, const std::string& sync_tag,
                           const std::string& head, verify_mode mode,
                           const openpgp& gpg);

} // namespace fluxd::git
