#include "tests/kube_emulator/server.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "adapters/log/log.hpp"
#include "tests/kube_emulator/objects.hpp"
#include "tests/kube_emulator/portforward.hpp"

namespace kube_emulator {

namespace {

fluxd::log::logger log{"kube-emulator"};

/// httplib's default pool holds a thread per connection for the whole
/// keep-alive session, so a few watches would starve everything else. This
/// queue gives every connection its own thread instead.
///
/// Shutdown waits a short while only: httplib leaves idle keep-alive
/// connections open until their timeout, and the process exits (_Exit)
/// right after. The counter outlives the queue for the threads still out.
class thread_per_connection : public httplib::TaskQueue {
public:
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> guard{count_->mutex};
      ++count_->running;
    }
    auto task = [count = count_, fn = std::move(fn)] {
      fn();
      std::lock_guard<std::mutex> guard{count->mutex};
      --count->running;
      count->idle.notify_all();
    };
    try {
      std::thread(std::move(task)).detach();
    } catch (const std::system_error&) {
      task(); // out of threads: serve it on the accept thread
    }
  }

  void shutdown() override {
    std::unique_lock<std::mutex> lock{count_->mutex};
    count_->idle.wait_for(lock, std::chrono::seconds(1),
                          [this] { return count_->running == 0; });
  }

private:
  struct counter {
    std::mutex mutex;
    std::condition_variable idle;
    std::size_t running = 0;
  };
  std::shared_ptr<counter> count_ = std::make_shared<counter>();
};

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos)
      slash = path.size();
    if (slash > start)
      out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

json::object version_info() {
  return {{"major", "1"},
          {"minor", "32"},
          {"gitVersion", "v1.32.0"},
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "2025-01-01T00:00:00Z"},
          {"goVersion", "go1.23.4"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

/// The aggregated discovery version the client asked for, or "".
std::string aggregated_version(const httplib::Request& req) {
  auto accept = req.get_header_value("Accept");
  if (accept.find("as=APIGroupDiscoveryList") == std::string::npos)
    return {};
  if (accept.find("v=v2;") != std::string::npos
      || accept.find("v=v2,") != std::string::npos)
    return "v2";
  if (accept.find("v=v2beta1") != std::string::npos)
    return "v2beta1";
  return {};
}

/// Like the API server, compress only large bodies: httplib gzips every
/// "application/json" body a client accepts gzip for, which costs more CPU
/// than it saves on loopback for small objects. The charset parameter keeps
/// the media type while opting out.
const char* json_type(std::size_t size) {
  return size >= 128 * 1024 ? "application/json"
                            : "application/json; charset=utf-8";
}

} // namespace

void send_text(httplib::Response& res, int code, std::string body,
               const char* type) {
  res.status = code;
  if (std::string_view(type) == "application/json")
    type = json_type(body.size());
  res.set_content(std::move(body), type);
}

void send_json(httplib::Response& res, int code, const json::value& body) {
  send_text(res, code, json::serialize(body), "application/json");
}

void send_error(httplib::Response& res, const api_error& e) {
  send_json(res, e.code(), e.status());
}

api_server::api_server(store& objects, server_config config)
    : store_(objects), config_(std::move(config)) {
  auto cfg = &config_;
  http_ = std::make_unique<httplib::SSLServer>([cfg](SSL_CTX& ctx) {
    auto load = [](const std::string& pem, bool key) -> void* {
      BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
      void* out = key ? static_cast<void*>(
                      PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr))
                      : static_cast<void*>(
                          PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
      BIO_free(bio);
      return out;
    };
    auto* cert = static_cast<X509*>(load(cfg->serving.cert_pem, false));
    auto* key = static_cast<EVP_PKEY*>(load(cfg->serving.key_pem, true));
    auto* ca = static_cast<X509*>(load(cfg->ca.cert_pem, false));
    bool ok = cert && key && ca && SSL_CTX_use_certificate(&ctx, cert) == 1
              && SSL_CTX_use_PrivateKey(&ctx, key) == 1;
    if (ok) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(&ctx), ca);
      STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca)));
      SSL_CTX_set_client_CA_list(&ctx, names);
      // Ask for a client certificate but decide per request (401, as the
      // API server does, instead of a failed handshake).
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER,
                         [](int, X509_STORE_CTX*) { return 1; });
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    X509_free(ca);
    return ok;
  });
  http_->new_task_queue = [] { return new thread_per_connection; };
  // Without it Nagle and delayed ACKs add 40 ms to keep-alive requests.
  http_->set_tcp_nodelay(true);
  http_->set_keep_alive_max_count(100000);
  http_->set_keep_alive_timeout(30);
  http_->set_read_timeout(60);
  http_->set_write_timeout(60);
  http_->set_payload_max_length(64 << 20);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    handle(req, res);
  };
  http_->Get(".*", handler);
  http_->Post(".*", handler);
  http_->Put(".*", handler);
  http_->Patch(".*", handler);
  http_->Delete(".*", handler);
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        send_error(res, api_error(500, "InternalError", "internal error"));
      });
}

api_server::~api_server() = default;

int api_server::bind() {
  if (!http_->is_valid())
    throw std::runtime_error("kube-emulator: TLS setup failed");
  int port = config_.port;
  if (port == 0)
    port = http_->bind_to_any_port(config_.host);
  else if (!http_->bind_to_port(config_.host, port))
    port = -1;
  if (port <= 0)
    throw std::runtime_error("kube-emulator: cannot listen on " + config_.host
                             + ":" + std::to_string(config_.port));
  config_.port = port;
  return port;
}

void api_server::run() {
  http_->listen_after_bind();
}

void api_server::stop() {
  stopping_ = true;
  http_->stop();
}

bool api_server::authenticated(const httplib::Request& req) const {
  if (config_.auth == "cert") {
    auto* ssl = const_cast<SSL*>(req.ssl);
    if (!ssl)
      return false;
    X509* peer = SSL_get1_peer_certificate(ssl);
    bool ok = peer && SSL_get_verify_result(ssl) == X509_V_OK;
    X509_free(peer);
    return ok;
  }
  return req.get_header_value("Authorization") == "Bearer " + config_.token;
}

void api_server::handle(const httplib::Request& req, httplib::Response& res) {
  if (config_.log_requests)
    log.info("request", {{"method", req.method}, {"path", req.path}});
  try {
    auto parts = split_path(req.path);
    const std::string first = parts.empty() ? "" : parts[0];
    if (first == "version" && parts.size() == 1)
      return send_json(res, 200, version_info());
    if ((first == "healthz" || first == "livez" || first == "readyz")
        && parts.size() == 1)
      return send_text(res, 200, "ok", "text/plain");
    if (first == "debug" && parts.size() == 2 && parts[1] == "requests")
      return send_json(res, 200,
                       json::object{{"get", gets_.load()},
                                    {"write", writes_.load()},
                                    {"delete", deletes_.load()}});
    if (req.method == "GET")
      ++gets_;
    else if (req.method == "DELETE")
      ++deletes_;
    else
      ++writes_;
    if (!authenticated(req))
      return send_error(res, api_error(401, "Unauthorized", "Unauthorized"));
    if (first == "api" || first == "apis") {
      bool core = first == "api";
      if (parts.size() == 1) {
        auto v = aggregated_version(req);
        if (!v.empty()) {
          auto doc = store_.with_registry([&](const resource_registry& r) {
            return r.aggregated(core, "apidiscovery.k8s.io/" + v);
          });
          res.status = 200;
          res.set_content(json::serialize(doc),
                          "application/json;g=apidiscovery.k8s.io;v=" + v
                              + ";as=APIGroupDiscoveryList");
          return;
        }
        auto addr = config_.host + ":" + std::to_string(config_.port);
        auto doc = store_.with_registry([&](const resource_registry& r) {
          return core ? r.api_versions(addr) : r.api_group_list();
        });
        return send_json(res, 200, doc);
      }
      std::string group = core ? "" : parts[1];
      if (!core && parts.size() == 2) {
        auto doc = store_.with_registry(
            [&](const resource_registry& r) { return r.api_group(group); });
        if (doc.is_null())
          throw api_error(404, "NotFound",
                          "the server could not find the requested resource");
        return send_json(res, 200, doc);
      }
      std::string version = core ? parts[1] : parts[2];
      std::vector<std::string> rest(parts.begin() + (core ? 2 : 3),
                                    parts.end());
      if (rest.empty()) {
        auto doc = store_.with_registry([&](const resource_registry& r) {
          return r.resource_list(group, version);
        });
        if (doc.is_null())
          throw api_error(404, "NotFound",
                          "the server could not find the requested resource");
        return send_json(res, 200, doc);
      }
      if (core && rest.size() == 5 && rest[0] == "namespaces"
          && rest[2] == "pods" && rest[4] == "portforward")
        return serve_port_forward(store_, rest[1], rest[3], req, res);
      return handle_resource(req, res, group, version, rest);
    }
    if (first == "openapi" && parts.size() >= 2 && parts[1] == "v3") {
      if (parts.size() == 2)
        return send_json(res, 200, store_.with_registry([](auto& r) {
          return r.openapi_root();
        }));
      std::string gv;
      for (size_t i = 2; i < parts.size(); ++i)
        gv += (i > 2 ? "/" : "") + parts[i];
      auto doc = store_.with_registry([&](const resource_registry& r) {
        return r.openapi_group_version(gv);
      });
      if (!doc.is_null())
        return send_json(res, 200, doc);
    }
    throw api_error(404, "NotFound",
                    "the server could not find the requested resource");
  } catch (const api_error& e) {
    send_error(res, e);
  } catch (const std::exception& e) {
    log.error("request failed", {{"path", req.path}, {"err", e.what()}});
    send_error(res, api_error(500, "InternalError", e.what()));
  }
}

} // namespace kube_emulator
