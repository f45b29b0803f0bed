#include "adapters/git/transport.hpp"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <netdb.h>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <tuple>
#include <unistd.h>

#include <git2/sys/stream.h>

#include "adapters/git/error.hpp"
#include "adapters/git/known_hosts.hpp"
#include "adapters/git/proxy.hpp"

namespace fluxd::git {

using clock_type = std::chrono::steady_clock;

// -- deadline scope and watchdog --------------------------------------------

/// The deadline of the network operation running on this thread, and the
/// sockets it opened, so the watchdog can shut them down.
struct network_deadline {
  clock_type::time_point deadline;
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<int> fds;
  bool done = false;
  bool expired = false;
  std::thread watchdog;
  /// Plain-http remotes behind a proxy: every socket goes to the proxy and
  /// is tunnelled with CONNECT (libgit2 1.5 would send a proxy's request
  /// to the server itself: libgit2 issue 5650).
  std::string tunnel_host, tunnel_port;

  explicit network_deadline(clock_type::time_point d) : deadline(d) {
    watchdog = std::thread{[this] {
      std::unique_lock<std::mutex> lock{mtx};
      if (cv.wait_until(lock, deadline, [this] { return done; }))
        return;
      expired = true;
      for (int fd : fds)
        ::shutdown(fd, SHUT_RDWR);
    }};
  }

  ~network_deadline() {
    {
      std::lock_guard<std::mutex> lock{mtx};
      done = true;
    }
    cv.notify_all();
    watchdog.join();
  }

  void add(int fd) {
    std::lock_guard<std::mutex> lock{mtx};
    fds.push_back(fd);
    if (expired)
      ::shutdown(fd, SHUT_RDWR);
  }

  void remove(int fd) {
    std::lock_guard<std::mutex> lock{mtx};
    fds.erase(std::remove(fds.begin(), fds.end(), fd), fds.end());
  }

  bool is_expired() {
    std::lock_guard<std::mutex> lock{mtx};
    return expired || clock_type::now() >= deadline;
  }
};

namespace {

thread_local network_deadline* current_scope = nullptr;

const char* const rsa_hint =
    "; it is an RSA key, and libssh2 1.10 signs only with ssh-rsa (SHA-1), "
    "which OpenSSH 8.8+ refuses: use an ed25519 or ECDSA deploy key, or allow "
    "`PubkeyAcceptedAlgorithms +ssh-rsa` on the server";

int remaining_ms() {
  if (!current_scope)
    return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      current_scope->deadline - clock_type::now());
  return static_cast<int>(std::max<long long>(0, left.count()));
}

// -- a socket stream with deadlines ------------------------------------------

/// Same layout as libgit2 1.5's internal git_socket_stream: its ssh
/// transport takes the socket descriptor out of the stream by that layout.
struct socket_stream {
  git_stream parent;
  char* host;
  char* port;
  int s;
};

int wait_fd(int fd, short events, const char* what) {
  pollfd p{fd, events, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, remaining_ms());
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) {
    git_error_set_str(GIT_ERROR_NET,
                      (std::string{"timed out "} + what).c_str());
    return -1;
  }
  if (rc < 0) {
    git_error_set_str(GIT_ERROR_NET, std::strerror(errno));
    return -1;
  }
  return 0;
}

/// Asks the proxy on `fd` for a tunnel to host:port; -1 with the error set
/// when it refuses or does not answer in time.
int open_tunnel(int fd, const std::string& host, const std::string& port) {
  auto target = host + ":" + port;
  auto request = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target
                 + "\r\n\r\n";
  std::size_t off = 0;
  while (off < request.size()) {
    if (wait_fd(fd, POLLOUT, "writing to the proxy") < 0)
      return -1;
    auto n = ::send(fd, request.data() + off, request.size() - off,
                    MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      git_error_set_str(GIT_ERROR_NET, "the proxy closed the connection");
      return -1;
    }
    off += static_cast<std::size_t>(n);
  }
  // Byte by byte: what follows the answer's head belongs to the tunnel.
  std::string head;
  while (head.size() < 16384
         && (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n"))) {
    if (wait_fd(fd, POLLIN, "waiting for the proxy") < 0)
      return -1;
    char c;
    auto n = ::recv(fd, &c, 1, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      git_error_set_str(GIT_ERROR_NET, "the proxy closed the connection");
      return -1;
    }
    head.push_back(c);
  }
  auto status = head.substr(0, head.find("\r\n"));
  auto sp = status.find(' ');
  if (sp == std::string::npos || status.compare(sp + 1, 3, "200") != 0) {
    auto msg = "proxy refused a tunnel to " + target + ": " + status;
    git_error_set_str(GIT_ERROR_NET, msg.c_str());
    return -1;
  }
  return 0;
}

int stream_connect(git_stream* stream) {
  auto st = reinterpret_cast<socket_stream*>(stream);
  bool tunnel = current_scope && !current_scope->tunnel_host.empty();
  const char* host = tunnel ? current_scope->tunnel_host.c_str() : st->host;
  const char* port = tunnel ? current_scope->tunnel_port.c_str() : st->port;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host, port, &hints, &res); rc != 0) {
    auto msg = std::string{"failed to resolve address for "} + host + ": "
               + ::gai_strerror(rc);
    git_error_set_str(GIT_ERROR_NET, msg.c_str());
    return -1;
  }
  std::string last = "no address";
  for (auto* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                      ai->ai_protocol);
    if (fd < 0)
      continue;
    int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, remaining_ms());
      if (rc == 0) {
        last = "timed out connecting";
        rc = -1;
      } else if (rc > 0) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          last = std::strerror(err);
          rc = -1;
        } else {
          rc = 0;
        }
      } else {
        last = std::strerror(errno);
      }
    } else if (rc < 0) {
      last = std::strerror(errno);
    }
    if (rc == 0) {
      ::fcntl(fd, F_SETFL, flags);
      ::freeaddrinfo(res);
      if (current_scope)
        current_scope->add(fd);
      if (tunnel && open_tunnel(fd, st->host, st->port) < 0) {
        if (current_scope)
          current_scope->remove(fd);
        ::close(fd);
        return -1;
      }
      st->s = fd;
      return 0;
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  auto msg = std::string{"failed to connect to "} + host + " port " + port
             + (tunnel ? " (the proxy)" : "") + ": " + last;
  git_error_set_str(GIT_ERROR_NET, msg.c_str());
  return -1;
}

ssize_t stream_read(git_stream* stream, void* data, size_t len) {
  auto st = reinterpret_cast<socket_stream*>(stream);
  if (wait_fd(st->s, POLLIN, "reading from the server") < 0)
    return -1;
  ssize_t n;
  do {
    n = ::recv(st->s, data, len, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    auto msg = std::string{"error receiving data: "} + std::strerror(errno);
    git_error_set_str(GIT_ERROR_NET, msg.c_str());
  }
  return n;
}

ssize_t stream_write(git_stream* stream, const char* data, size_t len, int) {
  auto st = reinterpret_cast<socket_stream*>(stream);
  size_t off = 0;
  while (off < len) {
    if (wait_fd(st->s, POLLOUT, "writing to the server") < 0)
      return -1;
    ssize_t n = ::send(st->s, data + off, len - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto msg = std::string{"error sending data: "} + std::strerror(errno);
      git_error_set_str(GIT_ERROR_NET, msg.c_str());
      return -1;
    }
    off += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(len);
}

int stream_close(git_stream* stream) {
  auto st = reinterpret_cast<socket_stream*>(stream);
  if (st->s >= 0) {
    if (current_scope)
      current_scope->remove(st->s);
    ::close(st->s);
    st->s = -1;
  }
  return 0;
}

void stream_free(git_stream* stream) {
  auto st = reinterpret_cast<socket_stream*>(stream);
  stream_close(stream);
  std::free(st->host);
  std::free(st->port);
  std::free(st);
}

int stream_init(git_stream** out, const char* host, const char* port) {
  auto st = static_cast<socket_stream*>(std::calloc(1, sizeof(socket_stream)));
  if (!st)
    return -1;
  st->parent.version = GIT_STREAM_VERSION;
  st->parent.connect = stream_connect;
  st->parent.read = stream_read;
  st->parent.write = stream_write;
  st->parent.close = stream_close;
  st->parent.free = stream_free;
  st->host = ::strdup(host);
  st->port = ::strdup(port);
  st->s = -1;
  *out = &st->parent;
  return 0;
}

std::mutex global_options_mutex;

void register_stream_and_ca(const std::string& ca_bundle) {
  std::lock_guard<std::mutex> lock{global_options_mutex};
  git_stream_registration reg{};
  reg.version = GIT_STREAM_VERSION;
  reg.init = stream_init;
  git_stream_register(GIT_STREAM_STANDARD, &reg);
  // Process-wide in libgit2; set on every operation so each remote gets its
  // own bundle (operations of different remotes run one at a time per
  // thread, and a bundle change between threads is rare: one per daemon).
  static std::string current;
  auto wanted = ca_bundle.empty()
                    ? std::string{"/etc/ssl/certs/ca-certificates.crt"}
                    : ca_bundle;
  if (wanted != current) {
    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, wanted.c_str(), nullptr);
    current = wanted;
  }
}

// -- libgit2 callback trampolines ------------------------------------------

int credentials_cb(git_credential** out, const char*, const char* user,
                   unsigned int allowed, void* payload) {
  return static_cast<remote_session*>(payload)->on_credentials(out, user,
                                                               allowed);
}

int certificate_cb(git_cert* cert, int valid, const char* host, void* payload) {
  return static_cast<remote_session*>(payload)->on_certificate(cert, valid,
                                                               host);
}

int progress_cb(const git_indexer_progress*, void* payload) {
  return static_cast<remote_session*>(payload)->on_progress();
}

int push_progress_cb(unsigned int, unsigned int, size_t, void* payload) {
  return static_cast<remote_session*>(payload)->on_progress();
}

int push_update_cb(const char* refname, const char* status, void* payload) {
  return static_cast<remote_session*>(payload)->on_push_update(refname, status);
}

bool file_readable(const std::string& path) {
  return ::access(path.c_str(), R_OK) == 0;
}

std::string seconds_text(std::chrono::milliseconds d) {
  std::ostringstream out;
  if (d.count() % 1000 == 0)
    out << d.count() / 1000 << "s";
  else
    out << d.count() << "ms";
  return out.str();
}

} // namespace

// -- helpers ---------------------------------------------------------------

bool is_rsa_key_file(const std::string& path) {
  std::ifstream in{path};
  std::string line, body;
  bool openssh = false;
  while (std::getline(in, line)) {
    if (line.find("BEGIN RSA PRIVATE KEY") != std::string::npos)
      return true;
    if (line.find("BEGIN OPENSSH PRIVATE KEY") != std::string::npos) {
      openssh = true;
      continue;
    }
    if (line.find("-----END") != std::string::npos)
      break;
    if (openssh)
      body += line;
  }
  if (!openssh)
    return false;
  while (body.size() % 4 != 0)
    body += '=';
  return base64_decode(body).find("ssh-rsa") != std::string::npos;
}

bool lookup_credentials(const std::string& file, const remote_url& url,
                        std::string& user, std::string& password) {
  std::ifstream in{file};
  if (!in)
    throw git_failure(error_kind::config,
                      "cannot read git credentials file " + file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    remote_url entry;
    try {
      entry = remote_url::parse(line);
    } catch (const git_failure&) {
      continue;
    }
    if (entry.scheme != url.scheme || entry.host != url.host
        || (entry.port != 0 && entry.port != url.port))
      continue;
    if (!url.user.empty() && entry.user != url.user)
      continue;
    user = entry.user;
    password = entry.password;
    return true;
  }
  return false;
}

// -- remote_session ----------------------------------------------------------

remote_session::remote_session(const remote_options& opts,
                               std::string operation)
    : opts_(opts), url_(remote_url::parse(opts.url)),
      operation_(std::move(operation)) {
  if (opts_.known_hosts_path.empty()) {
    const char* home = std::getenv("HOME");
    opts_.known_hosts_path =
        std::string{home ? home : ""} + "/.ssh/known_hosts";
  }
  register_stream_and_ca(opts_.ca_bundle);
  proxy_ = proxy_for(opts_.proxy, url_);
  scope_ =
      std::make_unique<network_deadline>(clock_type::now() + opts_.timeout);
  if (!proxy_.empty() && url_.scheme == remote_url::scheme_t::http)
    std::tie(scope_->tunnel_host, scope_->tunnel_port) =
        proxy_endpoint(proxy_);
  current_scope = scope_.get();
}

remote_session::~remote_session() {
  current_scope = nullptr;
}

git_remote_callbacks remote_session::callbacks() {
  git_remote_callbacks cb;
  git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
  cb.credentials = credentials_cb;
  cb.certificate_check = certificate_cb;
  cb.transfer_progress = progress_cb;
  cb.push_transfer_progress = push_progress_cb;
  cb.push_update_reference = push_update_cb;
  cb.payload = this;
  return cb;
}

git_proxy_options remote_session::proxy_options() {
  git_proxy_options po;
  git_proxy_options_init(&po, GIT_PROXY_OPTIONS_VERSION);
  // https: libgit2 tunnels with CONNECT. Plain http: our socket stream
  // does (see network_deadline), so libgit2 must not know of a proxy.
  po.type = GIT_PROXY_NONE;
  if (!proxy_.empty() && url_.scheme == remote_url::scheme_t::https) {
    po.type = GIT_PROXY_SPECIFIED;
    po.url = proxy_.c_str();
  }
  po.certificate_check = certificate_cb;
  po.payload = this;
  return po;
}

git_fetch_options remote_session::fetch_options() {
  git_fetch_options fo;
  git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
  fo.callbacks = callbacks();
  fo.proxy_opts = proxy_options();
  fo.prune = GIT_FETCH_PRUNE;
  fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
  fo.update_fetchhead = 0;
  return fo;
}

git_push_options remote_session::push_options() {
  git_push_options po;
  git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
  po.callbacks = callbacks();
  po.proxy_opts = proxy_options();
  return po;
}

int remote_session::record(int kind, std::string message) {
  if (recorded_kind_ < 0) {
    recorded_kind_ = kind;
    recorded_ = std::move(message);
  }
  git_error_set_str(GIT_ERROR_CALLBACK, recorded_.c_str());
  return GIT_EUSER;
}

int remote_session::on_credentials(git_credential** out,
                                   const char* username_from_url,
                                   unsigned int allowed) {
  std::string user =
      username_from_url && *username_from_url ? username_from_url : url_.user;
  if (url_.scheme == remote_url::scheme_t::ssh) {
    if (user.empty())
      user = "git";
    if (allowed & GIT_CREDENTIAL_USERNAME)
      return git_credential_username_new(out, user.c_str());
    if (!(allowed & GIT_CREDENTIAL_SSH_KEY))
      return record(static_cast<int>(error_kind::auth),
                    "ssh server " + url_.host
                        + " offers no public-key authentication");
    if (++credential_calls_ > 1) {
      std::string msg = "ssh key " + opts_.ssh_key_path + " was refused by "
                        + url_.sanitized() + " for user " + user;
      if (is_rsa_key_file(opts_.ssh_key_path))
        msg += rsa_hint;
      return record(static_cast<int>(error_kind::auth), msg);
    }
    if (!file_readable(opts_.ssh_key_path))
      return record(static_cast<int>(error_kind::config),
                    "cannot read ssh private key " + opts_.ssh_key_path
                        + " (the deploy key, --k8s-secret-volume-mount-path)");
    auto pub = opts_.ssh_key_path + ".pub";
    return git_credential_ssh_key_new(
        out, user.c_str(), file_readable(pub) ? pub.c_str() : nullptr,
        opts_.ssh_key_path.c_str(), "");
  }
  if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
    if (++credential_calls_ > 1)
      return record(static_cast<int>(error_kind::auth),
                    "credentials for " + url_.sanitized()
                        + " were rejected by the server");
    std::string name = url_.user, password = url_.password;
    if (password.empty() && !opts_.credentials_file.empty())
      lookup_credentials(opts_.credentials_file, url_, name, password);
    if (password.empty())
      return record(static_cast<int>(error_kind::auth),
                    url_.sanitized()
                        + " asks for credentials but none were given (put "
                          "user:token in the URL or in the credentials file)");
    return git_credential_userpass_plaintext_new(out, name.c_str(),
                                                 password.c_str());
  }
  return record(static_cast<int>(error_kind::auth),
                "no supported authentication method for " + url_.sanitized());
}

int remote_session::on_certificate(git_cert* cert, int valid,
                                   const char* host) {
  if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
    auto hk = reinterpret_cast<git_cert_hostkey*>(cert);
    if (!(hk->type & GIT_CERT_SSH_RAW))
      return record(static_cast<int>(error_kind::host_key),
                    "libssh2 gave no raw host key for " + url_.host);
    std::string blob{hk->hostkey, hk->hostkey_len};
    try {
      known_hosts::load(opts_.known_hosts_path)
          .verify(url_.known_hosts_name(), blob);
    } catch (const git_failure& e) {
      return record(static_cast<int>(e.kind()), e.what());
    }
    return 0;
  }
  if (valid)
    return 0;
  return record(static_cast<int>(error_kind::host_key),
                std::string{"TLS certificate of "} + (host ? host : "?")
                    + " is not trusted (CA bundle: "
                    + (opts_.ca_bundle.empty() ? "system" : opts_.ca_bundle)
                    + "); libgit2 1.5 with mbedTLS does not match IP "
                      "addresses in certificates: use a host name");
}

int remote_session::on_progress() {
  if (scope_ && scope_->is_expired()) {
    git_error_set_str(GIT_ERROR_NET, "timed out");
    return -1;
  }
  return 0;
}

int remote_session::on_push_update(const char* refname, const char* status) {
  if (status)
    rejected_.emplace_back(refname ? refname : "", status);
  return 0;
}

void remote_session::fail(int rc, const std::string& what) {
  auto where = operation_ + " " + url_.sanitized();
  if (recorded_kind_ >= 0)
    throw git_failure(static_cast<error_kind>(recorded_kind_),
                      where + ": " + recorded_);
  const ::git_error* e = git_error_last();
  int klass = e ? e->klass : 0;
  auto msg = strip_password(last_libgit2_error());
  if (scope_ && scope_->is_expired())
    throw git_failure(error_kind::timeout, where + ": " + what
                                               + " timed out after "
                                               + seconds_text(opts_.timeout)
                                               + " (--git-timeout): " + msg);
  auto kind = classify(rc, klass, msg);
  if (url_.scheme == remote_url::scheme_t::ssh
      && (kind == error_kind::auth
          || msg.find("authentication methods") != std::string::npos)) {
    kind = error_kind::auth;
    if (is_rsa_key_file(opts_.ssh_key_path))
      msg += rsa_hint;
  }
  throw git_failure(kind, where + ": " + what + ": " + msg);
}

} // namespace fluxd::git
