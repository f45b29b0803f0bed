#pragma once

#include <string>

namespace httplib {
struct Request;
struct Response;
} // namespace httplib

namespace kube_emulator {

class store;

/// The annotation that maps a pod's ports to loopback ports, e.g.
/// "3030=45678,8080=45679": the emulator has no pods to run, so a
/// port-forward to the pod's port 3030 reaches 127.0.0.1:45678.
inline constexpr const char* port_forward_annotation =
    "kube-emulator.fluxd.io/port-forward";

/// GET pods/<name>/portforward upgraded to a WebSocket with the
/// "SPDY/3.1+portforward.k8s.io" subprotocol (kubectl 1.31+). Serves the
/// whole session on this thread, writing straight to the TLS connection;
/// anything else gets a Status error in `res`.
void serve_port_forward(store& objects, const std::string& ns,
                        const std::string& pod, const httplib::Request& req,
                        httplib::Response& res);

} // namespace kube_emulator
