#include "adapters/git/verification.hpp"

#include "adapters/git/error.hpp"

namespace fluxd::git {

verify_mode parse_verify_mode(const std::string& text) {
  if (text.empty() || text == "none")
    return verify_mode::none;
  if (text == "all")
    return verify_mode::all;
  if (text == "first-parent")
    return verify_mode::first_parent;
  throw git_failure(error_kind::config,
                    "--git-verify-signatures-mode: unknown mode '" + text
                        + "' (use none, all or first-parent)");
}

verified_revision latest_valid_revision(const repository& repo,
                                        const std::string& sync_tag,
                                        const std::string& head,
                                        verify_mode mode, const openpgp& gpg) {
  if (mode == verify_mode::none)
    return {head, std::nullopt};
  std::string base;
  if (!sync_tag.empty()) {
    if (auto tagged = repo.tag_revision(sync_tag)) {
      auto tag_check = repo.verify_tag(sync_tag, gpg);
      auto commit_check = repo.verify_commit(*tagged, gpg);
      if (!tag_check.verified() || !commit_check.verified())
        throw git_failure(error_kind::signature,
                          "failed to verify signature of last sync'ed "
                          "revision "
                              + *tagged + " (tag " + sync_tag + ": "
                              + tag_check.status
                              + ", commit: " + commit_check.status + ")");
      base = *tagged;
    }
  }
  auto commits =
      repo.log(base, head, {}, mode == verify_mode::first_parent, &gpg);
  std::string valid = base;
  for (auto it = commits.rbegin(); it != commits.rend(); ++it) {
    if (it->signature_status != 'G')
      return {valid, *it};
    valid = it->revision;
  }
  return {valid, std::nullopt};
}

void require_verified_head(const repository& repo, const std::string& sync_tag,
                           const std::string& head, verify_mode mode,
                           const openpgp& gpg) {
  if (mode == verify_mode::none)
    return;
  auto valid = latest_valid_revision(repo, sync_tag, head, mode, gpg);
  if (valid.revision != head)
    throw git_failure(error_kind::signature,
                      "HEAD revision is unsigned: HEAD " + head.substr(0, 8)
                          + " is not a verified commit; the last verified "
                            "commit is "
                          + (valid.revision.empty()
                                 ? std::string{"none"}
                                 : valid.revision.substr(0, 8)));
}

} // namespace fluxd::git
