#pragma once

#include <functional>
#include <memory>
#include <string>

namespace fluxd::kube {
class port_forward;
}

namespace fluxd::fluxctl {

struct kube_settings {
  std::string context;       ///< --context
  std::string fwd_namespace; ///< --k8s-fwd-ns
  std::string fwd_labels;    ///< --k8s-fwd-labels
  std::function<std::string(const std::string&)> getenv;
};

/// The namespace of the kubeconfig context (--context or current), or
/// "default" when there is no kubeconfig or it names none.
std::string context_namespace(const kube_settings& k);

/// A port-forward to fluxd's pod and the API URL through it.
struct daemon_forward {
  std::unique_ptr<kube::port_forward> forward;
  std::string url; ///< http://127.0.0.1:<local port>/api/flux
  daemon_forward();
  daemon_forward(daemon_forward&&) noexcept;
  daemon_forward& operator=(daemon_forward&&) noexcept;
  ~daemon_forward();
};

/// No --url: finds the fluxd pod as Flux v1 does (--k8s-fwd-labels, then
/// `name in (flux,fluxd,weave-flux-agent)`, Running) and port-forwards a
/// free local port to its port 3030 through the API server (WebSocket, as
/// kubectl 1.31+). Throws client_error: Flux v1's "No pod found ..." text,
/// or what failed and what to run instead.
daemon_forward discover_daemon(const kube_settings& k);

} // namespace fluxd::fluxctl
