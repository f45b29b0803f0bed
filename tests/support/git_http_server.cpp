#include "tests/support/git_http_server.hpp"

#include <chrono>
#include <cstring>
#include <map>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <httplib.h>

namespace fluxd::test {

namespace {

struct cgi_reply {
  int status = 200;
  std::multimap<std::string, std::string> headers;
  std::string body;
};

/// Runs git http-backend once, as a CGI program: request body on stdin,
/// `Header: value` lines, a blank line, then the body on stdout.
cgi_reply run_backend(const std::map<std::string, std::string>& env,
                      const std::string& input) {
  int in_pipe[2], out_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0)
    return {500, {}, "pipe failed"};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    for (auto& [k, v] : env)
      ::setenv(k.c_str(), v.c_str(), 1);
    ::execlp("git", "git", "http-backend", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  std::thread writer{[fd = in_pipe[1], &input] {
    size_t off = 0;
    while (off < input.size()) {
      auto n = ::write(fd, input.data() + off, input.size() - off);
      if (n <= 0)
        break;
      off += static_cast<size_t>(n);
    }
    ::close(fd);
  }};
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(out_pipe[0], buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  ::close(out_pipe[0]);
  writer.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  cgi_reply reply;
  auto end = out.find("\r\n\r\n");
  size_t sep = 4;
  if (end == std::string::npos) {
    end = out.find("\n\n");
    sep = 2;
  }
  if (end == std::string::npos)
    return {500, {}, "bad CGI output"};
  std::string head = out.substr(0, end);
  reply.body = out.substr(end + sep);
  size_t pos = 0;
  while (pos < head.size()) {
    auto eol = head.find('\n', pos);
    if (eol == std::string::npos)
      eol = head.size();
    auto line = head.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    pos = eol + 1;
    auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    auto key = line.substr(0, colon);
    auto value = line.substr(colon + 1);
    while (!value.empty() && value[0] == ' ')
      value.erase(0, 1);
    if (key == "Status")
      reply.status = std::atoi(value.c_str());
    else
      reply.headers.emplace(key, value);
  }
  return reply;
}

std::string base64(const std::string& in) {
  static const char* t =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(t[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6)
    out.push_back(t[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4)
    out.push_back('=');
  return out;
}

} // namespace

git_http_server::git_http_server(std::string project_root,
                                 std::string basic_auth,
                                 const std::string& tls_cert,
                                 const std::string& tls_key)
    : root_(std::move(project_root)), auth_(std::move(basic_auth)) {
  if (tls_cert.empty()) {
    server_ = std::make_unique<httplib::Server>();
  } else {
    server_ =
        std::make_unique<httplib::SSLServer>(tls_cert.c_str(), tls_key.c_str());
    tls_ = true;
  }
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    std::map<std::string, std::string> env{
        {"GIT_PROJECT_ROOT", root_},
        {"GIT_HTTP_EXPORT_ALL", "1"},
        {"REQUEST_METHOD", req.method},
        {"PATH_INFO", req.path},
        {"QUERY_STRING", ""},
        {"CONTENT_TYPE", req.get_header_value("Content-Type")},
        {"CONTENT_LENGTH", std::to_string(req.body.size())},
        {"REMOTE_ADDR", "127.0.0.1"},
    };
    std::string query;
    for (auto& [k, v] : req.params)
      query += (query.empty() ? "" : "&") + k + "=" + v;
    env["QUERY_STRING"] = query;
    if (req.has_header("Git-Protocol"))
      env["GIT_PROTOCOL"] = req.get_header_value("Git-Protocol");
    if (!auth_.empty()) {
      if (req.get_header_value("Authorization") != "Basic " + base64(auth_)) {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Basic realm=\"git\"");
        return; // empty body on purpose, see the header
      }
      env["REMOTE_USER"] = auth_.substr(0, auth_.find(':'));
    }
    auto reply = run_backend(env, req.body);
    res.status = reply.status;
    std::string type = "application/octet-stream";
    for (auto& [k, v] : reply.headers) {
      if (k == "Content-Type")
        type = v;
      else if (k != "Content-Length")
        res.set_header(k.c_str(), v);
    }
    res.set_content(reply.body, type.c_str());
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread{[this] { server_->listen_after_bind(); }};
  for (int i = 0; i < 200 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

git_http_server::~git_http_server() {
  server_->stop();
  if (thread_.joinable())
    thread_.join();
}

std::string git_http_server::url(const std::string& repo) const {
  if (tls_)
    return "https://localhost:" + std::to_string(port_) + "/" + repo;
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + repo;
}

} // namespace fluxd::test
