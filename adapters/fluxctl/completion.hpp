#pragma once

#include <string>

namespace fluxd::fluxctl {

/// `fluxctl completion <shell>` for bash, zsh or fish; throws usage_error
/// `unsupported shell type "<x>"` otherwise.
std::string completion_script(const std::string& shell);

} // namespace fluxd::fluxctl
