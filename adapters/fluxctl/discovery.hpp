#pragma once

#include <functional>
#include <string>

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

/// No --url: Flux v1 port-forwards to the fluxd pod. This finds the pod as
/// Flux v1 does (--k8s-fwd-labels, then `name in (flux,fluxd,
/// weave-flux-agent)`, Running) but cannot forward (that needs SPDY or
/// websocket streams through the API server), so it always throws
/// client_error: Flux v1's "No pod found ..." text, or what to run.
[[noreturn]] void discover_daemon(const kube_settings& k);

} // namespace fluxd::fluxctl
