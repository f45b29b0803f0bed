#pragma once

#include <optional>
#include <string>

namespace fluxd::ui {

/// Where a repository can be browsed on the web, when its git host is one
/// whose URL layout we know (GitHub, GitLab, Bitbucket, including
/// self-hosted `github.*` / `gitlab.*` hosts).
struct web_repository {
  enum class host_kind { github, gitlab, bitbucket };
  host_kind kind = host_kind::github;
  std::string base; ///< https://github.com/owner/repo (no .git)

  /// A file at a commit or branch; path segments are percent-encoded.
  std::string file_url(const std::string& ref, const std::string& path) const;
  std::string commit_url(const std::string& revision) const;
};

/// The web side of a git URL (ssh, scp-like or https), or nullopt when the
/// host is unknown or the URL cannot be parsed. Never throws.
std::optional<web_repository> web_repository_for(const std::string& git_url);

} // namespace fluxd::ui
