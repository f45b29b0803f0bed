#include "adapters/kube/portforward.hpp"

#include <cerrno>
#include <cstring>
#include <csignal>
#include <mutex>
#include <vector>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "adapters/kube/credentials.hpp"
#include "adapters/kube/transport.hpp"
#include "adapters/kube/websocket.hpp"
#include "adapters/log/log.hpp"

namespace fluxd::kube {

// -- byte_channel -----------------------------------------------------------

long byte_channel::read(char* buf, std::size_t n) {
  if (!ssl) {
    auto r = ::recv(fd, buf, n, 0);
    return r < 0 && errno == EINTR ? read(buf, n) : r;
  }
  int r = SSL_read(ssl, buf, static_cast<int>(n));
  if (r > 0)
    return r;
  auto err = SSL_get_error(ssl, r);
  ERR_clear_error();
  return err == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

bool byte_channel::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    long r;
    if (ssl) {
      r = SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size()));
      if (r <= 0)
        ERR_clear_error();
    } else {
      r = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR)
        continue;
    }
    if (r <= 0)
      return false;
    bytes.remove_prefix(static_cast<std::size_t>(r));
  }
  return true;
}

namespace {

bool send_all(int fd, std::string_view bytes) {
  return byte_channel{fd, nullptr}.write_all(bytes);
}

} // namespace

// -- portforward_tunnel ------------------------------------------------------

portforward_tunnel::portforward_tunnel(byte_channel ch, bool client)
  : ch_(ch), client_(client) {}

portforward_tunnel::~portforward_tunnel() {
  for (auto& [id, s] : streams_)
    if (s.fd >= 0)
      ::close(s.fd);
}

void portforward_tunnel::send(const std::string& spdy_bytes) {
  if (closed_)
    return;
  if (!ch_.write_all(ws::frame(ws::binary, spdy_bytes, client_)))
    closed_ = true;
}

void portforward_tunnel::attach(std::uint32_t stream, int fd) {
  streams_[stream].fd = fd;
}

void portforward_tunnel::finish(std::uint32_t stream) {
  send(codec_.data(stream, {}, true));
  auto it = streams_.find(stream);
  if (it != streams_.end()) {
    it->second.local_eof = true;
    close_if_done(stream);
  }
}

void portforward_tunnel::abort(std::uint32_t stream) {
  send(codec_.rst_stream(stream, 5)); // CANCEL
  drop(stream);
}

void portforward_tunnel::drop(std::uint32_t stream) {
  auto it = streams_.find(stream);
  if (it == streams_.end())
    return;
  if (it->second.fd >= 0)
    ::close(it->second.fd);
  streams_.erase(it);
}

void portforward_tunnel::close_if_done(std::uint32_t stream) {
  auto it = streams_.find(stream);
  if (it != streams_.end() && it->second.local_eof && it->second.remote_fin)
    drop(stream);
}

void portforward_tunnel::on_frame(const spdy::frame& f) {
  if (!f.control) {
    auto it = streams_.find(f.stream_id);
    if (it == streams_.end() || it->second.fd < 0) {
      if (on_unattached_data)
        on_unattached_data(f.stream_id, f.data, f.fin());
      return;
    }
    auto& s = it->second;
    if (!f.data.empty() && !send_all(s.fd, f.data)) {
      send(codec_.rst_stream(f.stream_id, 5)); // CANCEL
      drop(f.stream_id);
      return;
    }
    if (f.fin()) {
      s.remote_fin = true;
      ::shutdown(s.fd, SHUT_WR);
      close_if_done(f.stream_id);
    }
    return;
  }
  switch (f.type) {
  case spdy::syn_stream:
    if (on_syn_stream)
      on_syn_stream(f);
    break;
  case spdy::syn_reply:
    break;
  case spdy::rst_stream:
    drop(f.stream_id);
    break;
  case spdy::ping:
    send(codec_.ping(f.value));
    break;
  case spdy::goaway:
    closed_ = true;
    break;
  default:
    break;
  }
}

std::string portforward_tunnel::run(const std::atomic<bool>& stop) {
  ws::decoder decoder;
  std::vector<char> buf(64 * 1024);
  std::vector<pollfd> fds;
  std::vector<std::uint32_t> ids;
  while (!closed_ && !stop.load()) {
    fds.clear();
    ids.clear();
    fds.push_back({ch_.fd, POLLIN, 0});
    ids.push_back(0);
    if (listen_fd >= 0) {
      fds.push_back({listen_fd, POLLIN, 0});
      ids.push_back(0);
    }
    for (auto& [id, s] : streams_)
      if (s.fd >= 0 && !s.local_eof) {
        fds.push_back({s.fd, POLLIN, 0});
        ids.push_back(id);
      }
    int timeout = ch_.pending() ? 0 : 200;
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR)
      return "poll: " + std::string(std::strerror(errno));
    if (ch_.pending() || (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      auto n = ch_.read(buf.data(), buf.size());
      if (n <= 0)
        return n == 0 ? "" : "the connection to the API server broke";
      decoder.feed({buf.data(), static_cast<std::size_t>(n)});
      ws::message m;
      try {
        while (!closed_ && decoder.next(m)) {
          if (m.op == ws::binary || m.op == ws::text) {
            codec_.feed(m.payload);
            spdy::frame f;
            while (codec_.next(f))
              on_frame(f);
          } else if (m.op == ws::ping) {
            ch_.write_all(ws::frame(ws::pong, m.payload, client_));
          } else if (m.op == ws::close) {
            auto code = m.payload.substr(0, 2);
            ch_.write_all(ws::frame(ws::close, code, client_));
            return "";
          }
        }
      } catch (const std::exception& e) {
        return e.what();
      }
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      if (fds[i].fd == listen_fd && ids[i] == 0) {
        int fd = ::accept(listen_fd, nullptr, nullptr);
        if (fd >= 0 && on_accept)
          on_accept(fd);
        else if (fd >= 0)
          ::close(fd);
        continue;
      }
      auto it = streams_.find(ids[i]);
      if (it == streams_.end())
        continue;
      auto n = ::recv(fds[i].fd, buf.data(), buf.size(), 0);
      if (n > 0) {
        send(codec_.data(ids[i], {buf.data(), static_cast<std::size_t>(n)},
                         false));
      } else {
        finish(ids[i]);
      }
    }
  }
  return "";
}

// -- port_forward (client) ------------------------------------------------

namespace {

struct ssl_ctx_free {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct ssl_free {
  void operator()(SSL* s) const { SSL_free(s); }
};

bool is_ip(const std::string& host) {
  unsigned char b[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), b) == 1
         || inet_pton(AF_INET6, host.c_str(), b) == 1;
}

struct endpoint {
  std::string scheme, host, base_path;
  int port = 0;
};

endpoint parse_server(const rest_config& cfg) {
  endpoint e;
  auto sep = cfg.server.find("://");
  if (sep == std::string::npos)
    throw config_error(cfg.origin + ": server \"" + cfg.server
                       + "\" has no scheme");
  e.scheme = cfg.server.substr(0, sep);
  auto hostport = cfg.server.substr(sep + 3);
  if (auto slash = hostport.find('/'); slash != std::string::npos) {
    e.base_path = hostport.substr(slash);
    hostport = hostport.substr(0, slash);
  }
  e.port = e.scheme == "https" ? 443 : 80;
  auto colon = hostport.rfind(':');
  auto bracket = hostport.rfind(']');
  if (colon != std::string::npos
      && (bracket == std::string::npos || colon > bracket)) {
    e.port = std::atoi(hostport.substr(colon + 1).c_str());
    hostport = hostport.substr(0, colon);
  }
  if (hostport.size() > 2 && hostport.front() == '[')
    hostport = hostport.substr(1, hostport.size() - 2);
  e.host = hostport;
  return e;
}

int connect_tcp(const std::string& host, int port, const std::string& what) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res)
      != 0)
    throw portforward_error(what + ": cannot resolve " + host);
  int fd = -1;
  for (auto* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0)
      continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0)
      break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0)
    throw portforward_error(what + ": cannot connect to " + host + ":"
                          + std::to_string(port));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

std::string header_value(const std::string& head, const std::string& name) {
  std::size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string::npos) {
    at += 2;
    auto colon = head.find(':', at);
    auto eol = head.find("\r\n", at);
    if (colon == std::string::npos || colon > eol)
      continue;
    auto key = head.substr(at, colon - at);
    if (strcasecmp(key.c_str(), name.c_str()) == 0) {
      auto v = head.substr(colon + 1, eol - colon - 1);
      v.erase(0, v.find_first_not_of(' '));
      v.erase(v.find_last_not_of(" \t") + 1);
      return v;
    }
  }
  return {};
}

} // namespace

struct port_forward::connection {
  std::unique_ptr<SSL_CTX, ssl_ctx_free> ctx;
  std::unique_ptr<SSL, ssl_free> ssl;
  int fd = -1;
  std::mutex mtx;
  std::string last_error;
  ~connection() {
    if (ssl)
      SSL_shutdown(ssl.get());
    if (fd >= 0)
      ::close(fd);
  }
};

port_forward::port_forward(const rest_config& cfg, const std::string& ns,
                           const std::string& pod, int remote_port)
  : conn_(std::make_unique<connection>()) {
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  auto ep = parse_server(cfg);
  auto path = ep.base_path + "/api/v1/namespaces/" + ns + "/pods/" + pod
              + "/portforward?ports=" + std::to_string(remote_port);
  auto what = "port-forward to pod " + ns + "/" + pod;
  credential_source creds{cfg};
  auto cred = creds.current();
  conn_->fd = connect_tcp(ep.host, ep.port, what);
  byte_channel ch{conn_->fd, nullptr};
  if (ep.scheme == "https") {
    conn_->ctx.reset(SSL_CTX_new(TLS_client_method()));
    auto* ctx = conn_->ctx.get();
    if (!cfg.insecure_skip_tls_verify) {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      if (!cfg.ca_pem.empty()) {
        auto* store = SSL_CTX_get_cert_store(ctx);
        BIO* b = BIO_new_mem_buf(cfg.ca_pem.data(),
                                 static_cast<int>(cfg.ca_pem.size()));
        while (auto* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr)) {
          X509_STORE_add_cert(store, x);
          X509_free(x);
        }
        BIO_free(b);
        ERR_clear_error();
      } else {
        SSL_CTX_set_default_verify_paths(ctx);
      }
      auto name = cfg.tls_server_name.empty() ? ep.host : cfg.tls_server_name;
      auto* param = SSL_CTX_get0_param(ctx);
      if (is_ip(name))
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      else
        X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
    if (!cred.client_cert_pem.empty()) {
      BIO* cb = BIO_new_mem_buf(cred.client_cert_pem.data(),
                                static_cast<int>(cred.client_cert_pem.size()));
      X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
      BIO_free(cb);
      BIO* kb = BIO_new_mem_buf(cred.client_key_pem.data(),
                                static_cast<int>(cred.client_key_pem.size()));
      EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
      BIO_free(kb);
      bool ok = cert && key && SSL_CTX_use_certificate(ctx, cert) == 1
                && SSL_CTX_use_PrivateKey(ctx, key) == 1;
      X509_free(cert);
      EVP_PKEY_free(key);
      if (!ok) {
        ERR_clear_error();
        throw config_error(cfg.origin + ": unusable client certificate/key");
      }
    }
    conn_->ssl.reset(SSL_new(ctx));
    auto* ssl = conn_->ssl.get();
    SSL_set_fd(ssl, conn_->fd);
    if (!is_ip(ep.host))
      SSL_set_tlsext_host_name(ssl, ep.host.c_str());
    if (SSL_connect(ssl) != 1) {
      auto verify = SSL_get_verify_result(ssl);
      ERR_clear_error();
      throw portforward_error(
          what + ": TLS handshake with " + cfg.server + " failed"
          + (verify != X509_V_OK
                 ? std::string(": ") + X509_verify_cert_error_string(verify)
                 : std::string()));
    }
    ch.ssl = ssl;
  }
  auto key = ws::new_key();
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + ep.host + ":"
                    + std::to_string(ep.port)
                    + "\r\nUser-Agent: fluxctl\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: "
                    + key
                    + "\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Protocol: "
                    + portforward_protocol + "\r\n";
  if (!cred.authorization.empty())
    req += "Authorization: " + cred.authorization + "\r\n";
  req += "\r\n";
  if (!ch.write_all(req))
    throw portforward_error(what + ": cannot send the upgrade request");
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (ch.read(&c, 1) != 1)
      throw portforward_error(what + ": the API server closed the connection");
    head.push_back(c);
    if (head.size() > 64 * 1024)
      throw portforward_error(what + ": oversized response headers");
  }
  int status = 0;
  if (head.size() > 12)
    status = std::atoi(head.c_str() + 9);
  if (status != 101) {
    std::string body;
    auto len = std::atoi(header_value(head, "Content-Length").c_str());
    body.resize(static_cast<std::size_t>(std::max(0, std::min(len, 65536))));
    std::size_t got = 0;
    while (got < body.size()) {
      auto n = ch.read(body.data() + got, body.size() - got);
      if (n <= 0)
        break;
      got += static_cast<std::size_t>(n);
    }
    body.resize(got);
    throw api_error("GET", path,
                    decode_status(status, header_value(head, "Content-Type"),
                                  body));
  }
  if (header_value(head, "Sec-WebSocket-Accept") != ws::accept_key(key))
    throw portforward_error(what + ": bad Sec-WebSocket-Accept in the answer");
  if (header_value(head, "Sec-WebSocket-Protocol") != portforward_protocol)
    throw portforward_error(what + ": the API server did not accept "
                          + std::string(portforward_protocol));

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  if (listen_fd_ < 0
      || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr)
      || ::listen(listen_fd_, 16)
      || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &alen))
    throw portforward_error(what + ": cannot listen on 127.0.0.1");
  local_port_ = ntohs(addr.sin_port);

  tunnel_ = std::make_unique<portforward_tunnel>(ch, true);
  auto* t = tunnel_.get();
  t->listen_fd = listen_fd_;
  auto next_stream = std::make_shared<std::uint32_t>(1);
  auto request = std::make_shared<int>(0);
  auto error_streams = std::make_shared<std::map<std::uint32_t, int>>();
  t->on_accept = [t, next_stream, request, error_streams,
                  remote_port](int fd) {
    auto id = std::to_string((*request)++);
    auto port = std::to_string(remote_port);
    auto err = *next_stream;
    auto data = err + 2;
    *next_stream += 4;
    t->send(t->codec().syn_stream(
        err, {{"streamtype", "error"}, {"port", port}, {"requestid", id}},
        true));
    t->send(t->codec().syn_stream(
        data, {{"streamtype", "data"}, {"port", port}, {"requestid", id}}));
    t->attach(data, fd);
    (*error_streams)[err] = static_cast<int>(data);
  };
  auto* state = conn_.get();
  t->on_unattached_data = [state, t, error_streams](std::uint32_t stream,
                                                std::string_view text,
                                                bool) {
    if (text.empty() || !error_streams->count(stream))
      return;
    {
      std::lock_guard lock{state->mtx};
      state->last_error = std::string(text);
    }
    log::logger{"portforward"}.warn("the pod side refused a connection",
                                    {{"err", std::string(text)}});
    // The local client sees the connection end.
    t->abort(static_cast<std::uint32_t>((*error_streams)[stream]));
  };
  thread_ = std::thread([this] { tunnel_->run(stop_); });
}

port_forward::~port_forward() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
  tunnel_.reset();
  if (listen_fd_ >= 0)
    ::close(listen_fd_);
}

std::string port_forward::last_error() const {
  std::lock_guard lock{conn_->mtx};
  return conn_->last_error;
}

} // namespace fluxd::kube
