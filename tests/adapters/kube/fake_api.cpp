#include "tests/adapters/kube/fake_api.hpp"

#include <chrono>
#include <stdexcept>

namespace fluxd::test {

namespace {

const char* core_resources = R"({"kind":"APIResourceList","groupVersion":"v1",
  "resources":[
  {"name":"namespaces","singularName":"namespace","namespaced":false,
   "kind":"Namespace","verbs":["create","delete","get","list","patch","watch"]},
  {"name":"configmaps","singularName":"configmap","namespaced":true,
   "kind":"ConfigMap","verbs":["create","delete","get","list","patch","watch"],
   "shortNames":["cm"]}]})";

const char* apps_resources = R"({"kind":"APIResourceList",
  "groupVersion":"apps/v1","resources":[
  {"name":"deployments","singularName":"deployment","namespaced":true,
   "kind":"Deployment","verbs":["get","list","patch","watch"]},
  {"name":"deployments/status","namespaced":true,"kind":"Deployment",
   "verbs":["get"]}]})";

const char* aggregated_core = R"({"kind":"APIGroupDiscoveryList",
  "apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[
  {"metadata":{"name":""},"versions":[{"version":"v1","resources":[
   {"resource":"namespaces","responseKind":{"group":"","version":"v1",
    "kind":"Namespace"},"scope":"Cluster","verbs":["get","list"]},
   {"resource":"configmaps","responseKind":{"group":"","version":"v1",
    "kind":"ConfigMap"},"scope":"Namespaced","verbs":["get","list"]}]}]}]})";

const char* aggregated_apis = R"({"kind":"APIGroupDiscoveryList",
  "apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[
  {"metadata":{"name":"apps"},"versions":[{"version":"v1","resources":[
   {"resource":"deployments","responseKind":{"group":"apps","version":"v1",
    "kind":"Deployment"},"scope":"Namespaced","verbs":["get","list"]}]}]}]})";

const char* aggregated_type =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

} // namespace

const test_pki& fake_api::pki() {
  static const test_pki instance = test_pki::make();
  return instance;
}

fake_api::fake_api(options opts) : opts_(opts), dir_("fluxd-fake-api") {
  write_file(dir_.file("server.crt"), pki().server.cert);
  write_file(dir_.file("server.key"), pki().server.key);
  write_file(dir_.file("ca.crt"), pki().ca.cert);
  auto ca = dir_.file("ca.crt");
  server_ = std::make_unique<httplib::SSLServer>(
    dir_.file("server.crt").c_str(), dir_.file("server.key").c_str(),
    opts.require_client_cert ? ca.c_str() : nullptr);
  server_->set_keep_alive_max_count(100000);
  server_->set_keep_alive_timeout(opts.keep_alive_seconds);
  server_->set_tcp_nodelay(true);
  server_->set_pre_routing_handler(
    [this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard<std::mutex> lock(mtx_);
      ports_.insert(req.remote_port);
      return httplib::Server::HandlerResponse::Unhandled;
    });
}

fake_api::~fake_api() {
  stop();
}

void fake_api::start() {
  if (opts_.port)
    port_ = server_->bind_to_port("127.0.0.1", opts_.port) ? opts_.port : -1;
  else
    port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0)
    throw std::runtime_error("fake_api: cannot bind");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

void fake_api::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

kube::rest_config fake_api::config() const {
  kube::rest_config cfg;
  cfg.server = "https://127.0.0.1:" + std::to_string(port_);
  cfg.ca_pem = pki().ca.cert;
  cfg.origin = "fake-api";
  return cfg;
}

std::size_t fake_api::connections() const {
  std::lock_guard<std::mutex> lock(mtx_);
  return ports_.size();
}

int fake_api::discovery_requests() const {
  std::lock_guard<std::mutex> lock(mtx_);
  return discovery_requests_;
}

void fake_api::serve_discovery(bool aggregated) {
  auto counted = [this](const char* legacy, const char* agg) {
    return [this, legacy, agg](const httplib::Request& req,
                               httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mtx_);
        ++discovery_requests_;
      }
      bool wants = req.get_header_value("Accept").find(
                     "as=APIGroupDiscoveryList") != std::string::npos;
      if (agg && wants)
        res.set_content(agg, aggregated_type);
      else
        res.set_content(legacy, "application/json");
    };
  };
  server_->Get("/api", counted(R"({"kind":"APIVersions","versions":["v1"]})",
                               aggregated ? aggregated_core : nullptr));
  server_->Get("/apis", counted(R"({"kind":"APIGroupList","groups":[
    {"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],
     "preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}]})",
                                aggregated ? aggregated_apis : nullptr));
  server_->Get("/api/v1", counted(core_resources, nullptr));
  server_->Get("/apis/apps/v1", counted(apps_resources, nullptr));
}

} // namespace fluxd::test
