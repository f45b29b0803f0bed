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
#include "tests/kube_emulator/patch.hpp"
#include "tests/kube_emulator/table.hpp"

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

std::string param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string{};
}

bool truthy(const std::string& v) { return v == "true" || v == "1"; }

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

void send_text(httplib::Response& res, int code, std::string body,
               const char* type) {
  res.status = code;
  if (std::string_view(type) == "application/json")
    type = json_type(body.size());
  res.set_content(std::move(body), type);
}

json::object scale_of(const json::object& obj) {
  json::object meta;
  for (const char* k :
       {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
    if (auto v = meta_str(obj, k); !v.empty())
      meta[k] = v;
  std::int64_t spec_replicas = 0, status_replicas = 0;
  std::string selector;
  if (auto* spec = child(obj, "spec")) {
    if (auto* r = spec->if_contains("replicas"); r && r->is_int64())
      spec_replicas = r->as_int64();
    if (auto* sel = child(*spec, "selector"))
      if (auto* ml = child(*sel, "matchLabels"))
        for (auto& kv : *ml)
          selector += (selector.empty() ? "" : ",") + std::string(kv.key())
                      + "=" + (kv.value().is_string()
                                 ? std::string(kv.value().as_string())
                                 : std::string{});
  }
  if (auto* st = child(obj, "status"))
    if (auto* r = st->if_contains("replicas"); r && r->is_int64())
      status_replicas = r->as_int64();
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", meta},
          {"spec", {{"replicas", spec_replicas}}},
          {"status", {{"replicas", status_replicas}, {"selector", selector}}}};
}

std::string patch_kind(const std::string& content_type) {
  auto semi = content_type.find(';');
  auto mt = content_type.substr(0, semi);
  if (mt == "application/json-patch+json")
    return "json-patch";
  if (mt == "application/merge-patch+json")
    return "merge-patch";
  if (mt == "application/strategic-merge-patch+json")
    return "strategic-merge-patch";
  if (mt == "application/apply-patch+yaml"
      || mt == "application/apply-patch+json")
    return "apply-patch";
  return mt;
}

json::object parse_object(const httplib::Request& req, const char* what) {
  auto ct = req.get_header_value("Content-Type");
  if (ct.find("protobuf") != std::string::npos)
    throw api_error(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - "
                    "accepted media types include: application/json, "
                    "application/yaml");
  auto v = parse_body(req.body, what);
  if (!v.is_object())
    throw bad_request(std::string(what) + ": the body must be an object");
  return std::move(v.as_object());
}

delete_options parse_delete(const httplib::Request& req) {
  delete_options opts;
  if (auto p = param(req, "propagationPolicy"); !p.empty())
    opts.propagation = p;
  if (param(req, "orphanDependents") == "true")
    opts.propagation = "Orphan";
  opts.dry_run = param(req, "dryRun") == "All";
  if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto v = parse_body(req.body, "DeleteOptions");
    if (!v.is_object())
      throw bad_request("DeleteOptions: the body must be an object");
    auto& o = v.as_object();
    if (auto p = str(o, "propagationPolicy"); !p.empty())
      opts.propagation = p;
    if (auto* orphan = o.if_contains("orphanDependents");
        orphan && orphan->is_bool())
      opts.propagation = orphan->as_bool() ? "Orphan" : "Background";
    if (auto* pre = child(o, "preconditions")) {
      opts.precondition_uid = str(*pre, "uid");
      opts.precondition_rv = str(*pre, "resourceVersion");
    }
    if (auto* dr = o.if_contains("dryRun"); dr && dr->is_array())
      for (auto& x : dr->as_array())
        if (x.is_string() && x.as_string() == "All")
          opts.dry_run = true;
  }
  if (opts.propagation != "Orphan" && opts.propagation != "Background"
      && opts.propagation != "Foreground")
    throw invalid("DeleteOptions", "", "propagationPolicy",
                  "Unsupported value: \"" + opts.propagation + "\"");
  return opts;
}

} // namespace

table_request table_options(const httplib::Request& req,
                            const std::string& version) {
  table_request t;
  t.api_version = version;
  if (req.has_param("includeObject"))
    t.include_object = req.get_param_value("includeObject");
  return t;
}

namespace {

/// A list response, serialised without copying the stored objects.
std::string render_list(const resource_type& type, const list_page& page) {
  std::string out = "{\"kind\":\"" + type.kind + "List\",\"apiVersion\":\""
                    + type.group_version()
                    + "\",\"metadata\":{\"resourceVersion\":\""
                    + std::to_string(page.rv) + "\"";
  if (!page.continue_token.empty())
    out += ",\"continue\":\"" + page.continue_token
           + "\",\"remainingItemCount\":" + std::to_string(page.remaining);
  out += "},\"items\":[";
  bool first = true;
  for (auto& item : page.items) {
    if (!first)
      out += ',';
    out += json::serialize(*item);
    first = false;
  }
  out += "]}";
  return out;
}

} // namespace

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
      void* out = key ? static_cast<void*>(PEM_read_bio_PrivateKey(
                          bio, nullptr, nullptr, nullptr))
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

void api_server::run() { http_->listen_after_bind(); }

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
      auto doc = store_.with_registry(
        [&](const resource_registry& r) { return r.openapi_group_version(gv); });
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

void api_server::handle_resource(const httplib::Request& req,
                                 httplib::Response& res,
                                 const std::string& group,
                                 const std::string& version,
                                 const std::vector<std::string>& path_rest) {
  auto not_found = [] {
    return api_error(404, "NotFound",
                     "the server could not find the requested resource");
  };
  std::vector<std::string> rest = path_rest;
  std::string ns;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    auto t = store_.find(group, version, rest[2]);
    if (t && t->namespaced) {
      ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (rest.size() > 3)
    throw not_found();
  auto type = store_.find(group, version, rest[0]);
  if (!type || (!type->namespaced && !ns.empty()))
    throw not_found();
  std::string name = rest.size() > 1 ? rest[1] : "";
  std::string sub = rest.size() > 2 ? rest[2] : "";
  if (!sub.empty() && !(sub == "status" && type->has_status)
      && !(sub == "scale" && type->has_scale))
    throw not_found();

  write_options wopts;
  wopts.dry_run = param(req, "dryRun") == "All";
  wopts.force = truthy(param(req, "force"));
  wopts.field_manager = param(req, "fieldManager");
  if (wopts.field_manager.empty() && req.method != "PATCH") {
    auto ua = req.get_header_value("User-Agent");
    wopts.field_manager = ua.substr(0, ua.find('/'));
  }
  if (wopts.field_manager.empty() && req.method == "PATCH"
      && patch_kind(req.get_header_value("Content-Type")) != "apply-patch") {
    auto ua = req.get_header_value("User-Agent");
    wopts.field_manager = ua.substr(0, ua.find('/'));
  }
  if (wopts.field_manager.empty()
      && !(req.method == "PATCH"
           && patch_kind(req.get_header_value("Content-Type"))
                == "apply-patch"))
    wopts.field_manager = "unknown";

  const auto& m = req.method;
  if (name.empty()) {
    if (m == "GET") {
      if (truthy(param(req, "watch")))
        return start_watch(req, res, *type, ns);
      auto labels = selector::labels(param(req, "labelSelector"));
      auto fields = selector::fields(param(req, "fieldSelector"));
      std::size_t limit = 0;
      if (auto l = param(req, "limit"); !l.empty()) {
        if (l.find_first_not_of("0123456789") != std::string::npos)
          throw bad_request("invalid limit: " + l);
        limit = std::stoul(l);
      }
      auto page =
        store_.list(*type, ns, labels, fields, limit, param(req, "continue"));
      if (auto tv = table_version(req.get_header_value("Accept"));
          !tv.empty()) {
        auto table = make_table(*type, page.items, table_options(req, tv));
        auto& md = table["metadata"].as_object();
        md["resourceVersion"] = std::to_string(page.rv);
        if (!page.continue_token.empty()) {
          md["continue"] = page.continue_token;
          md["remainingItemCount"] = page.remaining;
        }
        return send_json(res, 200, table);
      }
      return send_text(res, 200, render_list(*type, page), "application/json");
    }
    if (m == "POST") {
      auto body = parse_object(req, "create");
      auto r = store_.create(*type, ns, std::move(body), wopts);
      return send_json(res, r.code, *r.object);
    }
    if (m == "DELETE") {
      auto labels = selector::labels(param(req, "labelSelector"));
      auto gone = store_.remove_collection(*type, ns, labels,
                                           parse_delete(req));
      list_page page;
      page.items = std::move(gone);
      page.rv = store_.resource_version();
      return send_text(res, 200, render_list(*type, page), "application/json");
    }
    throw api_error(405, "MethodNotAllowed",
                    "the server does not allow this method on the requested "
                    "resource");
  }

  if (sub == "scale") {
    if (m == "GET")
      return send_json(res, 200, scale_of(*store_.get(*type, ns, name)));
    if (m != "PUT" && m != "PATCH")
      throw api_error(405, "MethodNotAllowed", "scale: method not allowed");
    json::value scale = scale_of(*store_.get(*type, ns, name));
    if (m == "PUT") {
      scale = parse_object(req, "Scale");
    } else {
      auto kind = patch_kind(req.get_header_value("Content-Type"));
      auto patch = parse_body(req.body, "Scale patch");
      if (kind == "json-patch")
        scale = json_patch(std::move(scale), patch);
      else if (kind == "merge-patch" || kind == "strategic-merge-patch")
        scale = merge_patch(std::move(scale), patch);
      else
        throw api_error(415, "UnsupportedMediaType",
                        "unsupported patch type for scale: " + kind);
    }
    auto* spec = scale.is_object() ? child(scale.as_object(), "spec") : nullptr;
    auto* replicas = spec ? spec->if_contains("replicas") : nullptr;
    if (!replicas || !replicas->is_int64() || replicas->as_int64() < 0)
      throw invalid("Scale.autoscaling", name, "spec.replicas",
                    "Invalid value: must be a non-negative integer");
    json::object change{{"spec", {{"replicas", replicas->as_int64()}}}};
    auto r = store_.patch(*type, ns, name, "merge-patch", change, "", wopts);
    return send_json(res, 200, scale_of(*r.object));
  }

  if (m == "GET") {
    auto obj = store_.get(*type, ns, name);
    if (auto tv = table_version(req.get_header_value("Accept"));
        !tv.empty() && sub.empty())
      return send_json(res, 200,
                       make_table(*type, {obj}, table_options(req, tv)));
    return send_json(res, 200, *obj);
  }
  if (m == "PUT") {
    auto body = parse_object(req, "update");
    auto r = store_.update(*type, ns, name, std::move(body), sub, wopts);
    return send_json(res, r.code, *r.object);
  }
  if (m == "PATCH") {
    auto kind = patch_kind(req.get_header_value("Content-Type"));
    if (kind.find("protobuf") != std::string::npos
        || (kind != "json-patch" && kind != "merge-patch"
            && kind != "strategic-merge-patch" && kind != "apply-patch"))
      throw api_error(415, "UnsupportedMediaType",
                      "the body of the request was in an unknown format - "
                      "accepted media types include: "
                      "application/json-patch+json, "
                      "application/merge-patch+json, "
                      "application/apply-patch+yaml");
    auto body = parse_body(req.body, "patch");
    auto r = store_.patch(*type, ns, name, kind, body, sub, wopts);
    return send_json(res, r.code, *r.object);
  }
  if (m == "DELETE") {
    bool gone = false;
    auto r = store_.remove(*type, ns, name, parse_delete(req), gone);
    if (gone && !type->delete_returns_object)
      return send_json(
        res, 200,
        json::object{{"kind", "Status"},
                     {"apiVersion", "v1"},
                     {"metadata", json::object{}},
                     {"status", "Success"},
                     {"details",
                      {{"name", name},
                       {"group", type->group},
                       {"kind", type->plural},
                       {"uid", meta_str(*r.object, "uid")}}}});
    return send_json(res, 200, *r.object);
  }
  throw api_error(405, "MethodNotAllowed",
                  "the server does not allow this method on the requested "
                  "resource");
}

} // namespace kube_emulator
