#include "adapters/kube/transport.hpp"
#include "adapters/kube/errors.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <thread>

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace fluxd::kube {

namespace {

using steady = std::chrono::steady_clock;

/// The reasons OpenSSL queued on this thread, without httplib's own
/// shutdown noise.
std::string openssl_error() {
  std::string out;
  while (auto code = ERR_get_error()) {
    if (ERR_GET_REASON(code) == SSL_R_SHUTDOWN_WHILE_IN_INIT)
      continue;
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1
         || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

struct bio_ptr {
  explicit bio_ptr(const std::string& pem)
    : bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))) {
  }
  ~bio_ptr() { BIO_free(bio); }
  BIO* bio;
};

std::vector<X509*> read_certs(const std::string& pem) {
  bio_ptr b(pem);
  std::vector<X509*> out;
  while (auto* x = PEM_read_bio_X509(b.bio, nullptr, nullptr, nullptr))
    out.push_back(x);
  ERR_clear_error(); // the loop ends with a "no start line" error
  return out;
}

std::string describe(httplib::Error err) {
  switch (err) {
    case httplib::Error::Connection:
      return "cannot connect";
    case httplib::Error::ConnectionTimeout:
      return "timed out connecting";
    case httplib::Error::Read:
      return "connection closed or read failed";
    case httplib::Error::Write:
      return "write failed";
    case httplib::Error::Canceled:
      return "cancelled";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load TLS certificates";
    case httplib::Error::SSLServerVerification:
      return "server certificate not trusted";
    default:
      return httplib::to_string(err);
  }
}

int retry_after_seconds(const httplib::Response& res) {
  if (!res.has_header("Retry-After"))
    return -1;
  try {
    return std::stoi(res.get_header_value("Retry-After"));
  } catch (const std::exception&) {
    return -1;
  }
}

} // namespace

// -- TLS material -------------------------------------------------------

/// The CA store (fixed) and the client identity (may change when an exec
/// plugin hands out a new certificate).
struct transport::tls_state {
  X509_STORE* store = nullptr;
  std::mutex mtx;
  std::uint64_t generation = ~std::uint64_t{0};
  std::vector<X509*> certs; ///< leaf first, then the chain
  EVP_PKEY* key = nullptr;

  ~tls_state() {
    X509_STORE_free(store);
    clear_identity();
  }
  void clear_identity() {
    for (auto* c : certs)
      X509_free(c);
    certs.clear();
    EVP_PKEY_free(key);
    key = nullptr;
  }
  void set_identity(const credential& cred, const std::string& origin) {
    clear_identity();
    generation = cred.tls_generation;
    if (cred.client_cert_pem.empty())
      return;
    certs = read_certs(cred.client_cert_pem);
    if (certs.empty())
      throw config_error(origin + ": client certificate: no PEM certificate");
    bio_ptr b(cred.client_key_pem);
    key = PEM_read_bio_PrivateKey(b.bio, nullptr, nullptr, nullptr);
    if (!key) {
      ERR_clear_error();
      throw config_error(origin + ": client key: not a PEM private key");
    }
    if (X509_check_private_key(certs.front(), key) != 1) {
      ERR_clear_error();
      throw config_error(origin + ": client key does not match the client "
                                  "certificate");
    }
  }
};

struct transport::connection {
  std::unique_ptr<httplib::ClientImpl> http;
  std::uint64_t generation = 0;
};

// -- transport ------------------------------------------------------------

transport::transport(rest_config cfg, client_options opts)
  : cfg_(std::move(cfg)),
    opts_(std::move(opts)),
    creds_(cfg_),
    limiter_(opts_.qps, opts_.burst),
    tls_(std::make_unique<tls_state>()) {
  // OpenSSL writes to sockets the server (or stream_cancel) has closed;
  // that must be an error return, not a process-killing SIGPIPE.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  auto sep = cfg_.server.find("://");
  if (sep == std::string::npos)
    throw config_error(cfg_.origin + ": server \"" + cfg_.server
                       + "\" has no scheme");
  scheme_ = cfg_.server.substr(0, sep);
  auto hostport = cfg_.server.substr(sep + 3);
  if (auto slash = hostport.find('/'); slash != std::string::npos) {
    base_path_ = hostport.substr(slash);
    hostport = hostport.substr(0, slash);
  }
  port_ = scheme_ == "https" ? 443 : 80;
  auto colon = hostport.rfind(':');
  auto bracket = hostport.rfind(']');
  if (colon != std::string::npos
      && (bracket == std::string::npos || colon > bracket)) {
    try {
      port_ = std::stoi(hostport.substr(colon + 1));
    } catch (const std::exception&) {
      throw config_error(cfg_.origin + ": server \"" + cfg_.server
                         + "\" has a bad port");
    }
    hostport = hostport.substr(0, colon);
  }
  if (hostport.size() > 2 && hostport.front() == '[')
    hostport = hostport.substr(1, hostport.size() - 2);
  host_ = hostport;
  if (scheme_ == "https" && !cfg_.ca_pem.empty()) {
    auto certs = read_certs(cfg_.ca_pem);
    if (certs.empty())
      throw config_error(cfg_.origin + ": certificate authority: no PEM "
                                       "certificate found");
    tls_->store = X509_STORE_new();
    for (auto* c : certs) {
      X509_STORE_add_cert(tls_->store, c);
      X509_free(c);
    }
  }
}

transport::~transport() = default;

std::unique_ptr<transport::connection>
transport::open(const credential& cred) {
  auto c = std::make_unique<connection>();
  c->generation = cred.tls_generation;
  if (scheme_ == "https") {
    auto ssl = std::make_unique<httplib::SSLClient>(host_, port_);
    SSL_CTX* ctx = ssl->ssl_context();
    // Verification is done by OpenSSL with our own store and host check,
    // so the kubeconfig CA replaces (not adds to) the system roots.
    ssl->enable_server_certificate_verification(false);
    if (!cfg_.insecure_skip_tls_verify) {
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      if (tls_->store)
        SSL_CTX_set1_cert_store(ctx, tls_->store);
      else
        SSL_CTX_set_default_verify_paths(ctx);
      auto name = cfg_.tls_server_name.empty() ? host_ : cfg_.tls_server_name;
      auto* param = SSL_CTX_get0_param(ctx);
      if (is_ip_literal(name))
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      else
        X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
    std::lock_guard<std::mutex> lock(tls_->mtx);
    if (tls_->generation != cred.tls_generation)
      tls_->set_identity(cred, cfg_.origin);
    if (!tls_->certs.empty()) {
      SSL_CTX_use_certificate(ctx, tls_->certs.front());
      for (std::size_t i = 1; i < tls_->certs.size(); ++i)
        SSL_CTX_add1_chain_cert(ctx, tls_->certs[i]);
      SSL_CTX_use_PrivateKey(ctx, tls_->key);
    }
    c->http = std::move(ssl);
  } else {
    c->http = std::make_unique<httplib::ClientImpl>(host_, port_);
  }
  c->http->set_keep_alive(true);
  // Headers and body go out in separate writes: without this, Nagle and
  // delayed ACKs add ~40 ms to every request on a kept-alive connection.
  c->http->set_tcp_nodelay(true);
  c->http->set_connection_timeout(opts_.connect_timeout);
  ++opened_;
  return c;
}

std::unique_ptr<transport::connection>
transport::checkout(const credential& cred, bool& reused) {
  {
    std::lock_guard<std::mutex> lock(pool_mtx_);
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->generation == cred.tls_generation) {
        reused = true;
        return c;
      }
    }
  }
  reused = false;
  return open(cred);
}

void transport::checkin(std::unique_ptr<connection> c) {
  std::lock_guard<std::mutex> lock(pool_mtx_);
  if (idle_.size() < opts_.max_idle_connections)
    idle_.push_back(std::move(c));
}

void transport::close_idle() {
  std::vector<std::unique_ptr<connection>> closing;
  {
    std::lock_guard<std::mutex> lock(pool_mtx_);
    closing.swap(idle_);
  }
}

http_response transport::send(const http_request& req) {
  auto timeout = req.timeout.count() > 0 ? req.timeout : opts_.timeout;
  int retries = 0;
  bool refreshed = false;
  bool stale_retry = false;
  for (;;) {
    limiter_.acquire();
    auto cred = creds_.current();
    bool reused = false;
    auto conn = checkout(cred, reused);
    conn->http->set_read_timeout(timeout);
    conn->http->set_write_timeout(timeout);

    httplib::Request r;
    r.method = req.method;
    r.path = base_path_ + req.path;
    r.headers.emplace("Accept", req.accept);
    r.headers.emplace("User-Agent", opts_.user_agent);
    if (!cred.authorization.empty())
      r.headers.emplace("Authorization", cred.authorization);
    if (!req.content_type.empty())
      r.headers.emplace("Content-Type", req.content_type);
    r.body = req.body;
    auto start = steady::now();
    auto deadline = start + timeout;
    r.progress = [deadline](uint64_t, uint64_t) {
      return steady::now() < deadline;
    };
    httplib::Response res;
    auto err = httplib::Error::Success;
    if (!conn->http->send(r, res, err)) {
      bool quick = steady::now() - start < timeout / 2;
      if (reused && !stale_retry && quick
          && (err == httplib::Error::Read || err == httplib::Error::Write)) {
        stale_retry = true; // the server closed an idle keep-alive socket
        continue;
      }
      bool timed_out = err == httplib::Error::Canceled
                       || err == httplib::Error::ConnectionTimeout
                       || (err == httplib::Error::Read && !quick);
      auto what = describe(err) + " (" + cfg_.server + ")";
      // Also drains this thread's OpenSSL queue, so nothing stale is
      // reported with a later failure.
      if (auto detail = openssl_error(); !detail.empty())
        what += ": " + detail;
      if (timed_out)
        what += ": timed out after " + std::to_string(timeout.count()) + "ms";
      throw transport_error(req.method, req.path, what, timed_out);
    }
    http_response out{res.status, res.get_header_value("Content-Type"),
                      std::move(res.body)};
    auto retry_after = retry_after_seconds(res);
    checkin(std::move(conn));
    if (out.status == 401 && !refreshed && creds_.invalidate()) {
      refreshed = true;
      continue;
    }
    if ((out.status == 429 || out.status >= 500) && retry_after >= 0
        && retries < opts_.max_retries) {
      ++retries;
      std::this_thread::sleep_for(
        std::chrono::seconds(std::min(retry_after, 10)));
      continue;
    }
    return out;
  }
}

transport::stream_result
transport::stream(const http_request& req,
                  const std::function<bool(std::string_view)>& on_data,
                  stream_cancel* cancel) {
  stream_result out;
  limiter_.acquire();
  auto cred = creds_.current();
  auto conn = open(cred);
  auto timeout = req.timeout.count() > 0 ? req.timeout : opts_.timeout;
  conn->http->set_read_timeout(timeout);
  conn->http->set_write_timeout(opts_.timeout);
  conn->http->set_keep_alive(false);

  httplib::Request r;
  r.method = req.method;
  r.path = base_path_ + req.path;
  r.headers.emplace("Accept", req.accept);
  r.headers.emplace("User-Agent", opts_.user_agent);
  if (!cred.authorization.empty())
    r.headers.emplace("Authorization", cred.authorization);
  r.response_handler = [&](const httplib::Response& res) {
    out.status = res.status;
    out.content_type = res.get_header_value("Content-Type");
    return true;
  };
  r.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (cancel && cancel->cancelled())
      return false;
    if (out.status < 200 || out.status >= 300) {
      if (out.error_body.size() < 65536)
        out.error_body.append(data, n);
      return true;
    }
    return on_data(std::string_view(data, n));
  };
  if (cancel) {
    std::lock_guard<std::mutex> lock(cancel->mtx_);
    if (cancel->cancelled()) {
      out.cancelled = true;
      return out;
    }
    cancel->active_ = conn->http.get();
  }
  httplib::Response res;
  auto err = httplib::Error::Success;
  bool ok = conn->http->send(r, res, err);
  if (cancel) {
    std::lock_guard<std::mutex> lock(cancel->mtx_);
    cancel->active_ = nullptr;
    out.cancelled = cancel->cancelled();
  }
  if (out.cancelled)
    return out;
  if (!ok && err == httplib::Error::Canceled)
    return out; // on_data asked to stop
  if (!ok) {
    auto what = describe(err) + " (" + cfg_.server + ")";
    if (auto detail = openssl_error(); !detail.empty())
      what += ": " + detail;
    throw transport_error(req.method, req.path, what);
  }
  if (out.status == 401)
    creds_.invalidate();
  return out;
}

void stream_cancel::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mtx_);
  woken_.wait_for(lock, d, [this] { return flag_.load(); });
}

void stream_cancel::cancel() {
  {
    std::lock_guard<std::mutex> lock(mtx_);
    flag_ = true;
  }
  woken_.notify_all();
  // The stream may be between registering its connection and opening the
  // socket, where stop() has nothing to shut down yet: keep trying.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(mtx_);
      if (!active_)
        return;
      active_->stop();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

} // namespace fluxd::kube
