#include "adapters/http/server.hpp"

#include <chrono>
#include <regex>
#include <stdexcept>
#include <sys/socket.h>

#include <boost/json.hpp>

#include "adapters/http/flux_error.hpp"
#include "adapters/http/listen_address.hpp"

namespace fluxd::http {

namespace {

metrics::family<metrics::histogram>* request_duration_family(
  metrics::registry& reg) {
  // The registry owns the family, so servers sharing it share the family.
  return &reg.histogram_family("flux_request_duration_seconds",
                               "Time (in seconds) spent serving HTTP requests.",
                               {"method", "route", "status_code", "ws"});
}

std::string route_for_unmatched(const std::string& api_path) {
  // /v1/... to /v5/... are Flux's deprecated versions.
  static const std::regex deprecated{"^/v([1-5])(/.*)?$"};
  std::smatch m;
  if (std::regex_match(api_path, m, deprecated))
    return "Deprecated:v" + m[1].str();
  return "NotFound";
}

class bounded_pool : public httplib::TaskQueue {
public:
  explicit bounded_pool(size_t n) : pool_(n) {}
  void enqueue(std::function<void()> fn) override {
    pool_.enqueue(std::move(fn));
  }
  void shutdown() override { pool_.shutdown(); }

private:
  httplib::ThreadPool pool_;
};

} // namespace

server::server(options opts) : opts_(std::move(opts)) {
  if (opts_.registry)
    request_duration_ = request_duration_family(*opts_.registry);
}

server::~server() {
  stop();
}

void server::route(const std::string& method, const std::string& pattern,
                   const std::string& name, handler h) {
  routes_.push_back({method, pattern, name, std::move(h)});
}

void server::install(httplib::Server& srv, bool api, bool with_metrics) {
  auto timed = [this](std::string name, handler h) {
    return [this, name, h](const httplib::Request& req,
                           httplib::Response& res) {
      auto start = std::chrono::steady_clock::now();
      h(req, res);
      if (res.status == -1)
        res.status = 200; // httplib's default, made explicit for the label
      if (request_duration_) {
        std::chrono::duration<double> took
          = std::chrono::steady_clock::now() - start;
        request_duration_
          ->with({req.method, name, std::to_string(res.status), "false"})
          .observe(took.count());
      }
    };
  };
  auto add = [&srv](const std::string& method, const std::string& pattern,
                    httplib::Server::Handler h) {
    if (method == "GET")
      srv.Get(pattern, std::move(h));
    else if (method == "POST")
      srv.Post(pattern, std::move(h));
    else if (method == "PUT")
      srv.Put(pattern, std::move(h));
    else if (method == "PATCH")
      srv.Patch(pattern, std::move(h));
    else if (method == "DELETE")
      srv.Delete(pattern, std::move(h));
    else if (method == "OPTIONS")
      srv.Options(pattern, std::move(h));
    else
      throw std::invalid_argument("unsupported HTTP method " + method);
  };

  if (with_metrics) {
    auto* reg = opts_.registry;
    add("GET", "/metrics", [reg](const httplib::Request&,
                                 httplib::Response& res) {
      res.set_content(reg ? reg->expose() : std::string{},
                      "text/plain; version=0.0.4; charset=utf-8");
    });
  }
  if (!api)
    return;

  add("GET", "/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  auto* ready = opts_.readiness;
  add("GET", "/readyz",
      [ready](const httplib::Request&, httplib::Response& res) {
        boost::json::object components;
        bool ok = true;
        if (ready) {
          for (auto& [name, st] : ready->snapshot()) {
            boost::json::object c;
            c["ready"] = st.ready;
            if (!st.reason.empty())
              c["reason"] = st.reason;
            components[name] = std::move(c);
          }
          ok = ready->all_ready();
        }
        boost::json::object body;
        body["ready"] = ok;
        body["components"] = std::move(components);
        res.status = ok ? 200 : 503;
        res.set_content(boost::json::serialize(body) + "\n",
                        "application/json; charset=utf-8");
      });
  for (auto& r : routes_)
    add(r.method, r.pattern, timed(r.name, r.fn));

  // Everything else under /api/flux: Flux v1's 404 (or 410 for v1–v5).
  auto not_found = [](const httplib::Request& req, httplib::Response& res) {
    auto api_path = req.path.substr(std::string{"/api/flux"}.size());
    auto name = route_for_unmatched(api_path);
    auto err = name == "NotFound" ? api_not_found(api_path) : api_deprecated();
    auto out = render_error(err, req.get_header_value("Accept"),
                            name == "NotFound" ? 404 : 410);
    res.status = out.status;
    res.set_content(out.body, out.content_type.c_str());
  };
  auto timed_not_found = [timed, not_found](const httplib::Request& req,
                                           httplib::Response& res) {
    auto name = route_for_unmatched(
      req.path.substr(std::string{"/api/flux"}.size()));
    timed(name, not_found)(req, res);
  };
  for (auto method : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    add(method, "/api/flux(/.*)?", timed_not_found);
}

std::vector<server::route_info> server::route_table() const {
  std::vector<route_info> out = {{"GET", "/metrics", "Metrics"},
                                 {"GET", "/healthz", "Healthz"},
                                 {"GET", "/readyz", "Readyz"}};
  for (auto& r : routes_)
    out.push_back({r.method, r.pattern, r.name});
  return out;
}

void server::start() {
  auto make = [this](const std::string& text, const std::string& flag,
                     bool api, bool with_metrics, int& bound_port,
                     std::unique_ptr<httplib::Server>& srv,
                     std::thread& thread) {
    auto addr = parse_listen_address(text, flag);
    srv = std::make_unique<httplib::Server>();
    auto threads = opts_.worker_threads;
    srv->new_task_queue = [threads] { return new bounded_pool(threads); };
    // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which
    // would let a second fluxd share the port silently.
    srv->set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    srv->set_keep_alive_max_count(100);
    srv->set_read_timeout(30, 0);
    srv->set_write_timeout(30, 0);
    srv->set_payload_max_length(8 * 1024 * 1024);
    // Go's mux answers unknown paths outside the API with plain text.
    srv->set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.status == 404 && res.body.empty())
        res.set_content("404 page not found\n", "text/plain; charset=utf-8");
    });
    install(*srv, api, with_metrics);
    if (addr.port == 0) {
      bound_port = srv->bind_to_any_port(addr.host);
    } else {
      bound_port = srv->bind_to_port(addr.host, addr.port) ? addr.port : -1;
    }
    if (bound_port <= 0)
      throw address_error("cannot listen on " + text + " (--" + flag
                          + "): address in use or not available");
    auto* raw = srv.get();
    thread = std::thread([raw] { raw->listen_after_bind(); });
    // httplib's stop() is a no-op until the accept loop runs: wait for it,
    // so a stop() right after start() cannot leave a thread behind.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!raw->is_running()) {
      if (std::chrono::steady_clock::now() > deadline)
        throw address_error("listener on " + text + " did not start");
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  };
  bool separate_metrics = !opts_.listen_metrics.empty();
  make(opts_.listen, "listen", true, !separate_metrics, port_, api_,
       api_thread_);
  if (separate_metrics)
    make(opts_.listen_metrics, "listen-metrics", false, true, metrics_port_,
         metrics_, metrics_thread_);
  else
    metrics_port_ = port_;
}

void server::stop() {
  if (api_)
    api_->stop();
  if (metrics_)
    metrics_->stop();
  if (api_thread_.joinable())
    api_thread_.join();
  if (metrics_thread_.joinable())
    metrics_thread_.join();
}

} // namespace fluxd::http
