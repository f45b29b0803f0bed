#include "messages/git.hpp"

namespace fluxd {

std::string to_string(git_errc x) {
  switch (x) {
    case git_errc::not_ready:
      return "not_ready";
    case git_errc::unreachable:
      return "unreachable";
    case git_errc::timeout:
      return "timeout";
    case git_errc::auth:
      return "auth";
    case git_errc::host_key:
      return "host_key";
    case git_errc::branch_missing:
      return "branch_missing";
    case git_errc::path_missing:
      return "path_missing";
    case git_errc::not_found:
      return "not_found";
    case git_errc::corrupt:
      return "corrupt";
    case git_errc::non_fast_forward:
      return "non_fast_forward";
    case git_errc::push_rejected:
      return "push_rejected";
    case git_errc::signature:
      return "signature";
    case git_errc::config:
      return "config";
    case git_errc::readonly:
      return "readonly";
    case git_errc::other:
      return "other";
  }
  return "unknown";
}

std::string render_git_error(uint8_t code, caf::atom_value,
                             const caf::message& context) {
  std::string out = "git: " + to_string(static_cast<git_errc>(code));
  if (!context.empty() && context.match_elements<std::string>())
    out += " (" + context.get_as<std::string>(0) + ")";
  return out;
}

} // namespace fluxd
