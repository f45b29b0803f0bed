#include "adapters/manifests/command.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace fluxd::manifests {

namespace {

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
  void close() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
};

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

} // namespace

command_result run_shell(const command_spec& spec) {
  // Everything the child needs is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed in a threaded process.
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  char** env = environ;
  if (spec.env) {
    for (const auto& [k, v] : *spec.env)
      env_strings.push_back(k + "=" + v);
    for (auto& s : env_strings)
      envp.push_back(s.data());
    envp.push_back(nullptr);
    env = envp.data();
  }
  std::string sh = "/bin/sh", dash_c = "-c", cmd = spec.command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  const char* cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw command_error(std::string("pipe: ") + std::strerror(errno));
  fd_guard out_r{out_pipe[0]}, out_w{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw command_error(std::string("pipe: ") + std::strerror(errno));
  fd_guard err_r{err_pipe[0]}, err_w{err_pipe[1]};
  fd_guard null_in{::open("/dev/null", O_RDONLY | O_CLOEXEC)};

  pid_t pid = ::fork();
  if (pid < 0)
    throw command_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(null_in.fd, 0);
    ::dup2(out_w.fd, 1);
    ::dup2(spec.merge_stderr ? out_w.fd : err_w.fd, 2);
    if (cwd && ::chdir(cwd) != 0)
      ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv, env);
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  out_w.close();
  err_w.close();

  command_result res;
  auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  std::string failure;
  char buf[65536];
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = "context deadline exceeded";
      break;
    }
    pollfd fds[2] = {{out_r.fd, POLLIN, 0}, {err_r.fd, POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(
                             left.count(), 1000)));
    if (n < 0 && errno != EINTR) {
      failure = std::string("poll: ") + std::strerror(errno);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      auto got = ::read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        (i == 0 ? out_r : err_r).close();
        continue;
      }
      (i == 0 ? res.out : res.err).append(buf, static_cast<size_t>(got));
    }
    if (res.out.size() + res.err.size() > spec.max_output) {
      failure = "output larger than " + std::to_string(spec.max_output)
                + " bytes";
      break;
    }
  }
  if (!failure.empty()) {
    ::kill(-pid, SIGKILL);
    wait_child(pid);
    throw command_failure(failure, std::move(res));
  }
  int status = wait_child(pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return res;
  if (WIFEXITED(status))
    throw command_failure("exit status " + std::to_string(WEXITSTATUS(status)),
                          std::move(res));
  throw command_failure("signal: " + std::to_string(WTERMSIG(status)),
                        std::move(res));
}

} // namespace fluxd::manifests
