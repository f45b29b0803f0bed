#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace fluxd::fluxctl {

/// What fluxctl needs from its process, injectable for tests.
struct environment {
  std::ostream& out;
  std::ostream& err;
  /// Environment lookup; "" when unset.
  std::function<std::string(const std::string&)> getenv;
  std::string version = "unversioned";
  /// Where `release --interactive` reads keys (Flux v1: the controlling
  /// terminal, whatever stdin is).
  std::string tty_path = "/dev/tty";
};

/// Runs `fluxctl <args...>` (args without the program name) and returns the
/// exit code: 0 on success, 1 on any error, printed as Flux v1 does.
int run(const std::vector<std::string>& args, environment& env);

/// The global flags and every command with its flags, as Markdown, from
/// the same tables `run` parses with (docs/fluxctl.md's generated part).
std::string reference_markdown();

} // namespace fluxd::fluxctl
