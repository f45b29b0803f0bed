#include "tests/support/process.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <regex>
#include <thread>
#include <unistd.h>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace fluxd::test {

namespace {

int decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

std::string make_log_path(const std::string& dir, const std::string& stem,
                          const char* suffix) {
  std::string base = dir.empty() ? std::string{"/tmp"} : dir;
  if (const char* t = std::getenv("TMPDIR"); dir.empty() && t && *t)
    base = t;
  std::string templ = base + "/" + stem + "-XXXXXX" + suffix;
  int fd = mkstemps(templ.data(), static_cast<int>(std::strlen(suffix)));
  if (fd < 0)
    throw std::runtime_error("mkstemps failed in " + base);
  ::close(fd);
  return templ;
}

} // namespace

child_process::child_process(std::vector<std::string> argv, options opts) {
  if (argv.empty())
    throw std::invalid_argument("child_process: empty argv");
  auto stem = argv[0].substr(argv[0].rfind('/') + 1);
  out_path_ = make_log_path(opts.log_dir, stem, ".out");
  err_path_ = make_log_path(opts.log_dir, stem, ".err");
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Own process group, so stop() also reaches grandchildren.
    ::setpgid(0, 0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(out_path_.c_str(), O_WRONLY | O_TRUNC);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_TRUNC);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (auto& [k, v] : opts.env)
      ::setenv(k.c_str(), v.c_str(), 1);
    if (!opts.cwd.empty() && ::chdir(opts.cwd.c_str()) != 0)
      ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
}

child_process::~child_process() {
  if (!status_)
    stop(std::chrono::seconds(2));
  if (std::getenv("FLUXD_KEEP_TEMP") == nullptr) {
    ::unlink(out_path_.c_str());
    ::unlink(err_path_.c_str());
  }
}

bool child_process::running() {
  if (status_)
    return false;
  int status = 0;
  auto r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = decode_status(status);
    return false;
  }
  return true;
}

void child_process::signal(int sig) {
  if (running())
    ::kill(pid_, sig);
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

int child_process::stop(std::chrono::milliseconds grace) {
  if (!running())
    return *status_;
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  if (auto st = wait(grace))
    return *st;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  status_ = decode_status(status);
  return *status_;
}

std::string child_process::stdout_text() const {
  return read_file(out_path_);
}

std::string child_process::stderr_text() const {
  return read_file(err_path_);
}

bool child_process::wait_for_output(const std::string& needle,
                                    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (stdout_text().find(needle) != std::string::npos
        || stderr_text().find(needle) != std::string::npos)
      return true;
    if (!running() || std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

run_result run(const std::vector<std::string>& argv,
               std::chrono::milliseconds timeout,
               const child_process::options& opts) {
  child_process p{argv, opts};
  auto st = p.wait(timeout);
  int status = st ? *st : p.stop(std::chrono::seconds(1));
  if (!st)
    status = -1;
  return {status, p.stdout_text(), p.stderr_text()};
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    throw std::runtime_error("free_port: bind failed");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr))
              == 0;
    ::close(fd);
    if (ok)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string bin_path(const std::string& name) {
  return std::string{FLUXD_BINARY_DIR} + "/bin/" + name;
}

bool have_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path)
    return false;
  std::string p{path};
  size_t start = 0;
  while (start <= p.size()) {
    auto end = p.find(':', start);
    if (end == std::string::npos)
      end = p.size();
    auto candidate = p.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return true;
    start = end + 1;
  }
  return false;
}

bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred())
      return true;
    std::this_thread::sleep_for(step);
  }
  return pred();
}

int fluxd_api_port(child_process& fluxd, std::chrono::milliseconds timeout) {
  if (!fluxd.wait_for_output("listening for HTTP", timeout))
    return 0;
  std::smatch m;
  auto err = fluxd.stderr_text();
  if (!std::regex_search(err, m, std::regex{"addr=127\\.0\\.0\\.1:([0-9]+)"}))
    return 0;
  return std::stoi(m[1]);
}

} // namespace fluxd::test
