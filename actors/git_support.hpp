#pragma once

#include <string>

#include "caf/error.hpp"
#include "caf/make_message.hpp"

#include "adapters/git/error.hpp"
#include "messages/git.hpp"

/// Shared by git_mirror and git_writer: adapter failures → caf::error.
namespace fluxd {

inline git_errc to_git_errc(git::error_kind kind) {
  using k = git::error_kind;
  switch (kind) {
    case k::unreachable:
      return git_errc::unreachable;
    case k::timeout:
      return git_errc::timeout;
    case k::auth:
      return git_errc::auth;
    case k::host_key:
      return git_errc::host_key;
    case k::branch_missing:
      return git_errc::branch_missing;
    case k::path_missing:
      return git_errc::path_missing;
    case k::not_found:
      return git_errc::not_found;
    case k::corrupt:
      return git_errc::corrupt;
    case k::non_fast_forward:
      return git_errc::non_fast_forward;
    case k::push_rejected:
      return git_errc::push_rejected;
    case k::signature:
      return git_errc::signature;
    case k::config:
      return git_errc::config;
    case k::other:
      return git_errc::other;
  }
  return git_errc::other;
}

inline caf::error to_caf_error(const git::git_failure& e) {
  return caf::make_error(to_git_errc(e.kind()), std::string{e.what()});
}

} // namespace fluxd
