#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace fluxd::test {

/// A child process for end-to-end tests: started with argv (no shell), its
/// stdout and stderr captured to files, killed (SIGTERM, then SIGKILL) when
/// the object goes out of scope, so a failing test never leaks a server.
class child_process {
public:
  struct options {
    std::map<std::string, std::string> env; ///< added to the parent's env
    std::string cwd;
    std::string log_dir; ///< where stdout/stderr files go; default: $TMPDIR
  };

  child_process(std::vector<std::string> argv, options opts);
  explicit child_process(std::vector<std::string> argv)
    : child_process(std::move(argv), options{}) {}
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();

  /// Sends `sig`; does not wait.
  void signal(int sig);

  /// Waits up to `timeout` for exit; returns the exit status (128+signal for
  /// a signal death) or nullopt when still running.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  /// SIGTERM, wait up to `grace`, then SIGKILL.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  std::string stdout_text() const;
  std::string stderr_text() const;
  const std::string& stdout_path() const { return out_path_; }
  const std::string& stderr_path() const { return err_path_; }

  /// Polls stdout+stderr until `needle` appears; false on timeout or exit.
  bool wait_for_output(const std::string& needle,
                       std::chrono::milliseconds timeout);

private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_;
  std::string err_path_;
};

/// Runs a command to completion (no shell) and returns {exit status, stdout}.
struct run_result {
  int status;
  std::string out;
  std::string err;
};
run_result run(const std::vector<std::string>& argv,
               std::chrono::milliseconds timeout = std::chrono::seconds(60),
               const child_process::options& opts = {});

/// A TCP port that was free a moment ago (bind to 0, read it, close).
/// Prefer letting servers bind port 0 themselves; this is for servers that
/// cannot report their port.
int free_port();

/// Polls until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds timeout);

/// Polls `pred` every `step` until it holds or `timeout` passes; then asks
/// once more.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(200));

/// The port a fluxd child logged with "listening for HTTP" (it listens on
/// port 0); 0 when it did not start within `timeout`.
int fluxd_api_port(child_process& fluxd,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// Path of a built program: build/bin/<name>.
std::string bin_path(const std::string& name);

/// True when an executable is on PATH (for tests that need a server program).
bool have_program(const std::string& name);

} // namespace fluxd::test
