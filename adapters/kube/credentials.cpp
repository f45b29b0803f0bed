#include "adapters/kube/credentials.hpp"
#include "adapters/kube/errors.hpp"
#include "adapters/kube/json.hpp"

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <boost/json.hpp>

extern char** environ;

namespace fluxd::kube {

namespace json = boost::json;

namespace {

std::string str_at(const json::object& o, std::string_view key) {
  if (auto* v = o.if_contains(key); v && v->is_string())
    return std::string(v->get_string());
  return {};
}

int digits(std::string_view s, std::size_t pos, std::size_t n) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i])))
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/// Reads both pipes until EOF or the deadline; false on timeout.
bool drain(int out_fd, int err_fd, std::string& out, std::string& err,
           std::chrono::steady_clock::time_point deadline) {
  std::vector<pollfd> fds{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[] = {&out, &err};
  int open = 2;
  char buf[4096];
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    int rc = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc == 0)
      return false; // deadline
    if (rc < 0)
      return true; // poll failed: take what we have, the exit status decides
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      auto n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  return true;
}

std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\n' || c == '\r')
      c = ' ';
  if (s.size() > 300)
    s = s.substr(0, 300) + "…";
  return s;
}

std::string exec_info(const exec_config& ex, const rest_config& cluster) {
  json::object spec{{"interactive", false}};
  if (ex.provide_cluster_info) {
    json::object c{{"server", cluster.server}};
    if (!cluster.ca_pem.empty())
      c["certificate-authority-data"] = base64_encode(cluster.ca_pem);
    if (cluster.insecure_skip_tls_verify)
      c["insecure-skip-tls-verify"] = true;
    if (!cluster.tls_server_name.empty())
      c["tls-server-name"] = cluster.tls_server_name;
    spec["cluster"] = std::move(c);
  }
  json::object info{{"kind", "ExecCredential"},
                    {"apiVersion", ex.api_version},
                    {"spec", std::move(spec)}};
  return json::serialize(info);
}

} // namespace

std::optional<std::chrono::system_clock::time_point>
parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  if (s.size() < 20 || s[4] != '-' || s[7] != '-'
      || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = digits(s, 0, 4) - 1900;
  tm.tm_mon = digits(s, 5, 2) - 1;
  tm.tm_mday = digits(s, 8, 2);
  tm.tm_hour = digits(s, 11, 2);
  tm.tm_min = digits(s, 14, 2);
  tm.tm_sec = digits(s, 17, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_hour < 0
      || tm.tm_min < 0 || tm.tm_sec < 0)
    return std::nullopt;
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])))
      ++pos;
  }
  long offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-')
             && s[pos + 3] == ':') {
    int h = digits(s, pos + 1, 2), m = digits(s, pos + 4, 2);
    if (h < 0 || m < 0)
      return std::nullopt;
    offset = (s[pos] == '+' ? 1 : -1) * (h * 3600L + m * 60L);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size())
    return std::nullopt;
  auto t = ::timegm(&tm) - offset;
  return std::chrono::system_clock::from_time_t(t);
}

exec_credential parse_exec_credential(std::string_view out,
                                      const std::string& api_version,
                                      const std::string& where) {
  json::error_code ec;
  auto v = parse_json(out, ec);
  if (ec || !v.is_object())
    throw config_error(where + ": output is not an ExecCredential JSON "
                               "object");
  auto& o = v.get_object();
  if (str_at(o, "kind") != "ExecCredential")
    throw config_error(where + ": output kind is \"" + str_at(o, "kind")
                       + "\", want ExecCredential");
  if (str_at(o, "apiVersion") != api_version)
    throw config_error(where + ": output apiVersion \""
                       + str_at(o, "apiVersion") + "\" does not match "
                       + api_version);
  auto* st = o.if_contains("status");
  if (!st || !st->is_object())
    throw config_error(where + ": ExecCredential without status");
  auto& so = st->get_object();
  exec_credential cred;
  cred.token = str_at(so, "token");
  cred.client_cert_pem = str_at(so, "clientCertificateData");
  cred.client_key_pem = str_at(so, "clientKeyData");
  if (cred.token.empty() && cred.client_cert_pem.empty())
    throw config_error(where + ": ExecCredential status has neither token "
                               "nor clientCertificateData");
  if (cred.client_cert_pem.empty() != cred.client_key_pem.empty())
    throw config_error(where + ": ExecCredential needs both "
                               "clientCertificateData and clientKeyData");
  if (auto exp = str_at(so, "expirationTimestamp"); !exp.empty()) {
    cred.expires = parse_rfc3339(exp);
    if (!cred.expires)
      throw config_error(where + ": bad expirationTimestamp \"" + exp + "\"");
  }
  return cred;
}

exec_credential run_exec_plugin(const exec_config& ex,
                                const rest_config& cluster,
                                std::chrono::milliseconds timeout) {
  std::string command = ex.command;
  // client-go: a relative path with a slash is relative to the kubeconfig.
  if (command.find('/') != std::string::npos && command[0] != '/')
    command = ex.base_dir + "/" + command;
  std::string where = "exec credential plugin " + command;

  std::vector<std::string> argv_s{command};
  argv_s.insert(argv_s.end(), ex.args.begin(), ex.args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "KUBERNETES_EXEC_INFO=", 21) != 0)
      env_s.emplace_back(*e);
  for (const auto& [k, v] : ex.env)
    env_s.push_back(k + "=" + v);
  env_s.push_back("KUBERNETES_EXEC_INFO=" + exec_info(ex, cluster));
  std::vector<char*> argv, envp;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw config_error(where + ": pipe: " + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw config_error(where + ": pipe: " + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(),
                          envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw config_error(where + ": cannot start: " + std::strerror(rc));
  }
  std::string out, err;
  bool done = drain(out_pipe[0], err_pipe[0], out, err,
                    std::chrono::steady_clock::now() + timeout);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  if (!done)
    ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!done)
    throw config_error(where + ": timed out after "
                       + std::to_string(timeout.count()) + "ms");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw config_error(where + ": failed (status "
                       + std::to_string(WIFEXITED(status)
                                          ? WEXITSTATUS(status)
                                          : 128 + WTERMSIG(status))
                       + "): " + one_line(err));
  return parse_exec_credential(out, ex.api_version, where);
}

// -- credential_source ---------------------------------------------------

credential_source::credential_source(rest_config cfg) : cfg_(std::move(cfg)) {
}

void credential_source::refresh_token_file() {
  struct stat st {};
  file_stamp stamp;
  if (::stat(cfg_.token_file.c_str(), &st) == 0) {
    stamp.ino = st.st_ino;
    stamp.size = st.st_size;
    stamp.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000
                     + st.st_mtim.tv_nsec;
  }
  if (stamp == file_stamp_ && !file_token_.empty())
    return;
  std::ifstream in(cfg_.token_file, std::ios::binary);
  if (!in)
    throw config_error("cannot read bearer token file " + cfg_.token_file);
  std::ostringstream ss;
  ss << in.rdbuf();
  auto token = ss.str();
  while (!token.empty()
         && std::isspace(static_cast<unsigned char>(token.back())))
    token.pop_back();
  if (token.empty())
    throw config_error("bearer token file " + cfg_.token_file + " is empty");
  file_token_ = std::move(token);
  file_stamp_ = stamp;
}

void credential_source::refresh_exec() {
  auto now = std::chrono::system_clock::now();
  if (exec_cache_ && (!exec_cache_->expires || now < *exec_cache_->expires))
    return;
  auto old_cert = exec_cache_ ? exec_cache_->client_cert_pem : std::string{};
  exec_cache_ = run_exec_plugin(*cfg_.exec, cfg_, std::chrono::seconds(60));
  ++exec_runs_;
  if (exec_cache_->client_cert_pem != old_cert)
    ++tls_generation_;
}

credential credential_source::current() {
  std::lock_guard<std::mutex> lock(mtx_);
  credential c;
  c.client_cert_pem = cfg_.client_cert_pem;
  c.client_key_pem = cfg_.client_key_pem;
  if (!cfg_.token.empty())
    c.authorization = "Bearer " + cfg_.token;
  else if (!cfg_.token_file.empty()) {
    refresh_token_file();
    c.authorization = "Bearer " + file_token_;
  } else if (!cfg_.username.empty() || !cfg_.password.empty())
    c.authorization =
      "Basic " + base64_encode(cfg_.username + ":" + cfg_.password);
  if (cfg_.exec) {
    refresh_exec();
    if (!exec_cache_->token.empty())
      c.authorization = "Bearer " + exec_cache_->token;
    if (!exec_cache_->client_cert_pem.empty()) {
      c.client_cert_pem = exec_cache_->client_cert_pem;
      c.client_key_pem = exec_cache_->client_key_pem;
    }
  }
  c.tls_generation = tls_generation_;
  return c;
}

bool credential_source::invalidate() {
  std::lock_guard<std::mutex> lock(mtx_);
  bool changed = false;
  if (cfg_.exec) {
    exec_cache_.reset();
    changed = true;
  }
  if (cfg_.token.empty() && !cfg_.token_file.empty()) {
    file_stamp_ = {};
    file_token_.clear();
    changed = true;
  }
  return changed;
}

int credential_source::exec_runs() const {
  std::lock_guard<std::mutex> lock(mtx_);
  return exec_runs_;
}

} // namespace fluxd::kube
