#include "adapters/kube/transport.hpp"
#include "adapters/kube/errors.hpp"
#include "adapters/kube/http1.hpp"

#include <csignal>
#include <thread>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace fluxd::kube {

namespace {

using steady = std::chrono::steady_clock;

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

std::string describe(const http1::failure& f) {
  using k = http1::failure::kind;
  switch (f.which()) {
    case k::read:
      return "connection closed or read failed";
    case k::timeout:
      return "no answer";
    default:
      return f.what();
  }
}

int retry_after_seconds(const http1::response_head& head) {
  auto value = head.header("retry-after");
  if (value.empty())
    return -1;
  try {
    return std::stoi(value);
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
  /// For new connections, made again when the identity changes (an SSL
  /// holds a reference to the context it was made from).
  SSL_CTX* context = nullptr;

  ~tls_state() {
    SSL_CTX_free(context);
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
  std::unique_ptr<http1::connection> http;
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
  host_header_ = (host_.find(':') != std::string::npos ? "[" + host_ + "]"
                                                        : host_)
                 + ":" + std::to_string(port_);
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

SSL_CTX* transport::tls_context(const credential& cred) {
  // Called with tls_->mtx held.
  if (tls_->context && tls_->generation == cred.tls_generation)
    return tls_->context;
  if (tls_->generation != cred.tls_generation)
    tls_->set_identity(cred, cfg_.origin);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx)
    throw config_error(cfg_.origin + ": cannot make a TLS context: "
                       + http1::openssl_errors());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
  // Verification is done by OpenSSL with our own store and host check,
  // so the kubeconfig CA replaces (not adds to) the system roots.
  if (!cfg_.insecure_skip_tls_verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (tls_->store)
      SSL_CTX_set1_cert_store(ctx, tls_->store);
    else
      SSL_CTX_set_default_verify_paths(ctx);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!tls_->certs.empty()) {
    SSL_CTX_use_certificate(ctx, tls_->certs.front());
    for (std::size_t i = 1; i < tls_->certs.size(); ++i)
      SSL_CTX_add1_chain_cert(ctx, tls_->certs[i]);
    SSL_CTX_use_PrivateKey(ctx, tls_->key);
  }
  SSL_CTX_free(tls_->context);
  tls_->context = ctx;
  return ctx;
}

std::unique_ptr<transport::connection>
transport::open(const credential& cred) {
  auto c = std::make_unique<connection>();
  c->generation = cred.tls_generation;
  http1::tls_target target;
  // The context stays alive for the handshake: the SSL takes a reference.
  std::unique_lock<std::mutex> lock(tls_->mtx, std::defer_lock);
  if (scheme_ == "https") {
    lock.lock();
    target.context = tls_context(cred);
    auto name = cfg_.tls_server_name.empty() ? host_ : cfg_.tls_server_name;
    if (!cfg_.insecure_skip_tls_verify)
      target.verify_name = name;
    if (!http1::is_ip_literal(name))
      target.sni = name;
    SSL_CTX_up_ref(target.context);
    lock.unlock();
  }
  try {
    c->http = std::make_unique<http1::connection>(host_, port_, target,
                                                  opts_.connect_timeout);
  } catch (...) {
    SSL_CTX_free(target.context);
    throw;
  }
  SSL_CTX_free(target.context);
  ++opened_;
  return c;
}

std::string transport::request_head(const http_request& req,
                                    const credential& cred,
                                    bool close) const {
  std::string head;
  head.reserve(256 + req.body.size());
  head += req.method;
  head += ' ';
  head += base_path_;
  head += req.path;
  head += " HTTP/1.1\r\nHost: ";
  head += host_header_;
  head += "\r\nAccept: ";
  head += req.accept;
  head += "\r\nUser-Agent: ";
  head += opts_.user_agent;
  if (!cred.authorization.empty()) {
    head += "\r\nAuthorization: ";
    head += cred.authorization;
  }
  if (!req.content_type.empty()) {
    head += "\r\nContent-Type: ";
    head += req.content_type;
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT"
      || req.method == "PATCH") {
    head += "\r\nContent-Length: ";
    head += std::to_string(req.body.size());
  }
  if (close)
    head += "\r\nConnection: close";
  head += "\r\n\r\n";
  return head;
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
    auto start = steady::now();
    std::unique_ptr<connection> conn;
    http_response out;
    http1::response_head head;
    try {
      conn = checkout(cred, reused);
      conn->http->set_limits(start + timeout, timeout);
      conn->http->write(request_head(req, cred, false) + req.body);
      head = conn->http->read_head();
      out.status = head.status;
      out.content_type = head.header("content-type");
      if (head.content_length > 0)
        out.body.reserve(static_cast<std::size_t>(head.content_length));
      conn->http->read_body(head, req.method == "HEAD",
                            [&](std::string_view piece) {
                              out.body.append(piece);
                              return true;
                            });
    } catch (const http1::failure& f) {
      using k = http1::failure::kind;
      bool quick = steady::now() - start < timeout / 2;
      if (reused && !stale_retry && quick
          && (f.which() == k::read || f.which() == k::write)) {
        stale_retry = true; // the server closed an idle keep-alive socket
        continue;
      }
      bool timed_out = f.which() == k::timeout
                       || f.which() == k::connect_timeout
                       || (f.which() == k::read && !quick);
      auto what = describe(f) + " (" + cfg_.server + ")";
      if (timed_out)
        what += ": timed out after " + std::to_string(timeout.count()) + "ms";
      throw transport_error(req.method, req.path, what, timed_out);
    }
    auto retry_after = retry_after_seconds(head);
    if (conn->http->reusable())
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
  auto timeout = req.timeout.count() > 0 ? req.timeout : opts_.timeout;
  auto unregister = [&] {
    if (!cancel)
      return;
    std::lock_guard<std::mutex> lock(cancel->mtx_);
    cancel->active_ = nullptr;
    out.cancelled = cancel->cancelled();
  };
  std::unique_ptr<connection> conn;
  try {
    if (cancel && cancel->cancelled()) {
      out.cancelled = true;
      return out;
    }
    conn = open(cred);
    if (cancel) {
      std::lock_guard<std::mutex> lock(cancel->mtx_);
      if (cancel->cancelled()) {
        out.cancelled = true;
        return out;
      }
      cancel->active_ = conn->http.get();
    }
    // The server ends the stream; `timeout` bounds each silence.
    conn->http->set_limits(steady::now() + opts_.timeout, opts_.timeout);
    conn->http->write(request_head(req, cred, true));
    auto head = conn->http->read_head();
    out.status = head.status;
    out.content_type = head.header("content-type");
    conn->http->set_limits(steady::time_point::max(), timeout);
    bool ok = out.status >= 200 && out.status < 300;
    conn->http->read_body(head, false, [&](std::string_view piece) {
      if (cancel && cancel->cancelled())
        return false;
      if (!ok) {
        if (out.error_body.size() < 65536)
          out.error_body.append(piece);
        return true;
      }
      return on_data(piece);
    });
  } catch (const http1::failure& f) {
    unregister();
    if (out.cancelled || f.which() == http1::failure::kind::stopped)
      return out;
    throw transport_error(req.method, req.path,
                          describe(f) + " (" + cfg_.server + ")");
  } catch (...) {
    unregister();
    throw;
  }
  unregister();
  if (out.cancelled)
    return out;
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
