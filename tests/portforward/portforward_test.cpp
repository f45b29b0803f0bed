#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <httplib.h>

#include "adapters/fluxctl/cli.hpp"
#include "adapters/fluxctl/output.hpp"
#include "adapters/kube/client.hpp"
#include "adapters/kube/portforward.hpp"
#include "adapters/kube/spdy.hpp"
#include "adapters/kube/websocket.hpp"
#include "tests/adapters/api/api_server.hpp"
#include "tests/support/kube_emulator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace fluxd;

namespace {

/// A plain HTTP server on loopback standing in for the pod's process.
struct pod_server {
  httplib::Server srv;
  int port = 0;
  std::thread thread;
  pod_server() {
    srv.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(100000, 'x') + "hello from the pod",
                      "text/plain");
    });
    srv.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "text/plain");
    });
    port = srv.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { srv.listen_after_bind(); });
    while (!srv.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~pod_server() {
    srv.stop();
    thread.join();
  }
};

struct cluster {
  test::temp_dir dir{"portforward"};
  test::kube_emulator emu{dir.file("kc"), {}};
  kube::rest_config cfg = [this] {
    kube::config_options where;
    where.kubeconfig = emu.kubeconfig();
    return kube::load_config(where);
  }();
  kube::client client{cfg};

  /// A Running pod whose port 3030 the emulator forwards to `target`.
  void pod(const std::string& ns, const std::string& name,
           const std::string& labels_json, int target) {
    if (ns != "default")
      client.apply(boost::json::parse(R"({"apiVersion":"v1","kind":"Namespace",
          "metadata":{"name":")" + ns + R"("}})"));
    std::string annotations =
        target ? R"({"kube-emulator.fluxd.io/port-forward":"3030=)"
                     + std::to_string(target) + R"("})"
               : "{}";
    client.apply(boost::json::parse(
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name
        + R"(","namespace":")" + ns + R"(","labels":)" + labels_json
        + R"(,"annotations":)" + annotations
        + R"(},"spec":{"containers":[{"name":"flux","image":"fluxd"}]}})"));
    client.request(kube::http_request(
        "PATCH", "/api/v1/namespaces/" + ns + "/pods/" + name + "/status",
        R"({"status":{"phase":"Running"}})", "application/merge-patch+json"));
  }
};

std::string get(int port, const std::string& path) {
  httplib::Client c{"127.0.0.1", port};
  c.set_read_timeout(std::chrono::seconds(10));
  auto r = c.Get(path.c_str());
  return r ? r->body : "no answer: " + httplib::to_string(r.error());
}

} // namespace

TEST_CASE("SPDY frames and header blocks round-trip through the codec") {
  kube::spdy::codec a, b;
  // One statement each: header blocks must be compressed in frame order.
  std::string wire =
      a.syn_stream(1, {{"streamtype", "error"}, {"port", "3030"}}, true);
  wire += a.syn_stream(3, {{"streamtype", "data"}, {"port", "3030"}});
  wire += a.data(3, "payload", false);
  wire += a.ping(7);
  b.feed(wire.substr(0, 5));
  kube::spdy::frame f;
  CHECK_FALSE(b.next(f));
  b.feed(wire.substr(5));
  REQUIRE(b.next(f));
  CHECK(f.control);
  CHECK(f.type == kube::spdy::syn_stream);
  CHECK(f.fin());
  CHECK(kube::spdy::header(f.headers, "streamtype") == "error");
  REQUIRE(b.next(f)); // the second block shares the zlib stream
  CHECK(kube::spdy::header(f.headers, "streamtype") == "data");
  CHECK(f.stream_id == 3);
  REQUIRE(b.next(f));
  CHECK_FALSE(f.control);
  CHECK(f.data == "payload");
  REQUIRE(b.next(f));
  CHECK(f.type == kube::spdy::ping);
  CHECK(f.value == 7);
  CHECK_FALSE(b.next(f));
}

TEST_CASE("WebSocket frames: masking, lengths, fragments, accept key") {
  // RFC 6455 §1.3's example.
  CHECK(kube::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==")
        == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  kube::ws::decoder d;
  std::string big(70000, 'b');
  auto wire = kube::ws::frame(kube::ws::binary, "hi", true)
              + kube::ws::frame(kube::ws::binary, big, false)
              + kube::ws::frame(kube::ws::ping, "p", true);
  // A fragmented message: "ab" + "cd".
  std::string frag = kube::ws::frame(kube::ws::binary, "ab", false);
  frag[0] = static_cast<char>(frag[0] & 0x7f); // not final
  frag += kube::ws::frame(kube::ws::continuation, "cd", false);
  d.feed(wire + frag);
  kube::ws::message m;
  REQUIRE(d.next(m));
  CHECK(m.payload == "hi");
  REQUIRE(d.next(m));
  CHECK(m.payload == big);
  REQUIRE(d.next(m));
  CHECK(m.op == kube::ws::ping);
  REQUIRE(d.next(m));
  CHECK(m.payload == "abcd");
  CHECK_FALSE(d.next(m));
}

TEST_CASE("port_forward reaches the pod's port through the emulator") {
  cluster c;
  pod_server pod;
  c.pod("default", "web-1", R"({"app":"web"})", pod.port);
  kube::port_forward pf{c.cfg, "default", "web-1", 3030};
  auto body = get(pf.local_port(), "/hello");
  CHECK(body.size() == 100000 + 18);
  CHECK(body.substr(100000) == "hello from the pod");
  // Several connections over the one tunnel, at the same time.
  std::vector<std::thread> clients;
  std::vector<std::string> answers(4);
  for (int i = 0; i < 4; ++i)
    clients.emplace_back([&, i] {
      httplib::Client h{"127.0.0.1", pf.local_port()};
      auto r = h.Post("/echo", std::string(5000 * (i + 1), 'a' + i),
                      "text/plain");
      answers[static_cast<std::size_t>(i)] = r ? r->body : "";
    });
  for (auto& t : clients)
    t.join();
  for (int i = 0; i < 4; ++i)
    CHECK(answers[static_cast<std::size_t>(i)]
          == std::string(5000 * (i + 1), 'a' + i));
}

TEST_CASE("port_forward: unmapped ports and missing pods are errors") {
  cluster c;
  c.pod("default", "bare", R"({"app":"web"})", 0);
  kube::port_forward pf{c.cfg, "default", "bare", 3030};
  CHECK(get(pf.local_port(), "/hello").rfind("no answer", 0) == 0);
  for (int i = 0; i < 50 && pf.last_error().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(pf.last_error().find("error forwarding port 3030 to pod")
        != std::string::npos);
  try {
    kube::port_forward missing{c.cfg, "default", "nope", 3030};
    FAIL("no error for a missing pod");
  } catch (const kube::api_error& e) {
    CHECK(e.not_found());
  }
}

TEST_CASE("the real kubectl port-forwards through the emulator") {
  cluster c;
  pod_server pod;
  c.pod("default", "web-1", R"({"app":"web"})", pod.port);
  test::child_process kubectl{{"kubectl", "--kubeconfig", c.emu.kubeconfig(),
                               "-n", "default", "port-forward", "pod/web-1",
                               ":3030"}};
  REQUIRE(kubectl.wait_for_output("Forwarding from 127.0.0.1:",
                                  std::chrono::seconds(20)));
  auto out = kubectl.stdout_text();
  auto at = out.find("127.0.0.1:") + 10;
  int port = std::stoi(out.substr(at, out.find(' ', at) - at));
  CHECK(get(port, "/hello").substr(100000) == "hello from the pod");
  httplib::Client h{"127.0.0.1", port};
  auto r = h.Post("/echo", "ping over kubectl", "text/plain");
  REQUIRE(r);
  CHECK(r->body == "ping over kubectl");
}

TEST_CASE("fluxctl without --url reaches fluxd through a port-forward") {
  cluster c;
  test::api_server fluxd; // fluxd's HTTP server with fixture answers
  auto api_port = fluxd.srv->port();
  c.pod("flux", "flux-7d9f", R"({"app":"flux"})", api_port);
  std::ostringstream out, err;
  std::map<std::string, std::string> vars{{"KUBECONFIG", c.emu.kubeconfig()}};
  fluxctl::environment env{out, err, [vars](const std::string& n) {
                             auto it = vars.find(n);
                             return it == vars.end() ? std::string{}
                                                     : it->second;
                           }};
  env.version = "0.1.0";
  int code = fluxctl::run({"list-workloads", "--k8s-fwd-ns", "flux", "-n",
                           "demo"},
                          env);
  INFO(err.str());
  CHECK(code == 0);
  CHECK(out.str()
        == fluxctl::list_workloads_table(fluxd.daemon.workloads, true));
}
