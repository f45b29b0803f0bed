#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

/// Runs `.flux.yaml` commands: `/bin/sh -c <command>` in a working
/// directory, with a deadline and a cap on output, killing the whole process
/// group when either is exceeded.
namespace fluxd::manifests {

class command_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct command_spec {
  std::string command;
  std::string cwd;
  /// The environment; nullopt inherits fluxd's own.
  std::optional<std::map<std::string, std::string>> env;
  std::chrono::milliseconds timeout{60'000};
  std::size_t max_output = 32u << 20; ///< stdout + stderr bytes
  bool merge_stderr = false;          ///< stderr into `out`, in order
};

struct command_result {
  std::string out;
  std::string err;
};

/// A command that ran and failed; partial() is what it wrote.
class command_failure : public command_error {
public:
  command_failure(const std::string& what, command_result partial)
    : command_error(what), partial_(std::move(partial)) {}
  const command_result& partial() const { return partial_; }

private:
  command_result partial_;
};

/// Throws command_failure (`context deadline exceeded`, `exit status N`,
/// `output larger than N bytes`) or command_error when it cannot start.
command_result run_shell(const command_spec& spec);

} // namespace fluxd::manifests
