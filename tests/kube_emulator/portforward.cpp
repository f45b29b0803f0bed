#include "tests/kube_emulator/portforward.hpp"

#include <map>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include "adapters/kube/portforward.hpp"
#include "adapters/kube/websocket.hpp"
#include "adapters/log/log.hpp"
#include "tests/kube_emulator/server.hpp"
#include "tests/kube_emulator/store.hpp"

namespace kube_emulator {

namespace {

namespace kube = fluxd::kube;

/// "3030=45678,8080=45679" → {3030: 45678, 8080: 45679}.
std::map<std::string, int> port_map(const std::string& text) {
  std::map<std::string, int> out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto comma = text.find(',', at);
    auto item = text.substr(at, comma == std::string::npos ? std::string::npos
                                                           : comma - at);
    auto eq = item.find('=');
    if (eq != std::string::npos)
      out[item.substr(0, eq)] = std::atoi(item.c_str() + eq + 1);
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  return out;
}

int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (fd >= 0
      && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
    return fd;
  if (fd >= 0)
    ::close(fd);
  return -1;
}

bool lists(const std::string& header, const std::string& token) {
  std::size_t at = 0;
  while (at <= header.size()) {
    auto comma = header.find(',', at);
    auto item = header.substr(at, comma == std::string::npos
                                      ? std::string::npos
                                      : comma - at);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (strcasecmp(item.c_str(), token.c_str()) == 0)
      return true;
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  return false;
}

} // namespace

void serve_port_forward(store& objects, const std::string& ns,
                        const std::string& pod, const httplib::Request& req,
                        httplib::Response& res) {
  auto type = objects.find("", "v1", "pods");
  auto obj = objects.get(*type, ns, pod); // 404 Status when missing
  if (req.method != "GET" || !req.ssl
      || !lists(req.get_header_value("Connection"), "upgrade")
      || strcasecmp(req.get_header_value("Upgrade").c_str(), "websocket")
      || !lists(req.get_header_value("Sec-WebSocket-Protocol"),
                kube::portforward_protocol))
    throw api_error(400, "BadRequest",
                    "port-forward needs a WebSocket upgrade with the "
                    "subprotocol "
                        + std::string(kube::portforward_protocol)
                        + " (SPDY upgrades are not emulated)");
  std::map<std::string, int> ports;
  if (auto* md = obj->at("metadata").as_object().if_contains("annotations"))
    if (auto* v = md->as_object().if_contains(port_forward_annotation))
      if (v->is_string())
        ports = port_map(std::string(v->as_string()));
  std::string uid;
  if (auto* u = obj->at("metadata").as_object().if_contains("uid"))
    uid = std::string(u->as_string());

  auto* ssl = const_cast<SSL*>(req.ssl);
  kube::byte_channel ch{SSL_get_fd(ssl), ssl};
  std::string answer =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: "
      + kube::ws::accept_key(req.get_header_value("Sec-WebSocket-Key"))
      + "\r\nSec-WebSocket-Protocol: " + kube::portforward_protocol
      + "\r\n\r\n";
  if (!ch.write_all(answer))
    return;
  kube::portforward_tunnel tunnel{ch, false};
  std::map<std::string, std::uint32_t> error_streams; // by requestid
  tunnel.on_syn_stream = [&](const fluxd::kube::spdy::frame& f) {
    namespace spdy = fluxd::kube::spdy;
    tunnel.send(tunnel.codec().syn_reply(f.stream_id, {}));
    auto kind = spdy::header(f.headers, "streamtype");
    auto request = spdy::header(f.headers, "requestid");
    auto port = spdy::header(f.headers, "port");
    if (kind == "error") {
      error_streams[request] = f.stream_id;
      return;
    }
    if (kind != "data") {
      tunnel.send(tunnel.codec().rst_stream(f.stream_id, 1));
      return;
    }
    auto target = ports.count(port) ? ports[port] : 0;
    int fd = target ? connect_loopback(target) : -1;
    if (fd >= 0) {
      tunnel.attach(f.stream_id, fd);
      return;
    }
    // What the kubelet says, on the error stream of the same request.
    auto message = "error forwarding port " + port + " to pod " + uid
                   + ", uid : "
                   + (target ? "failed to connect to 127.0.0.1:"
                                   + std::to_string(target)
                             : std::string("the pod has no ")
                                   + port_forward_annotation
                                   + " annotation for this port");
    if (error_streams.count(request))
      tunnel.send(tunnel.codec().data(error_streams[request], message, true));
    tunnel.send(tunnel.codec().data(f.stream_id, {}, true));
  };
  std::atomic<bool> stop{false};
  auto why = tunnel.run(stop);
  if (!why.empty())
    fluxd::log::logger{"kube-emulator"}.info(
        "port-forward ended", {{"pod", ns + "/" + pod}, {"err", why}});
  // httplib writes its own response after this; the closed socket makes
  // that a no-op and ends the connection.
  ::shutdown(SSL_get_fd(ssl), SHUT_RDWR);
  res.status = 101;
}

} // namespace kube_emulator
