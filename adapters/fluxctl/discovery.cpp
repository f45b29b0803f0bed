#include "adapters/fluxctl/discovery.hpp"

#include "adapters/fluxctl/client.hpp"
#include "adapters/kube/client.hpp"
#include "adapters/kube/config.hpp"
#include "adapters/kube/portforward.hpp"

namespace fluxd::fluxctl {

namespace {

kube::config_options options_of(const kube_settings& k) {
  kube::config_options o;
  o.context = k.context;
  o.kubeconfig_env = k.getenv("KUBECONFIG");
  o.home = k.getenv("HOME");
  o.env = std::map<std::string, std::string>{
      {"KUBERNETES_SERVICE_HOST", k.getenv("KUBERNETES_SERVICE_HOST")},
      {"KUBERNETES_SERVICE_PORT", k.getenv("KUBERNETES_SERVICE_PORT")}};
  return o;
}

} // namespace

std::string context_namespace(const kube_settings& k) {
  try {
    auto o = options_of(k);
    auto files = kube::kubeconfig_files(o);
    if (files.empty())
      return "default";
    return kube::load_kubeconfig(files, k.context).default_namespace();
  } catch (const std::exception&) {
    return "default";
  }
}

daemon_forward::daemon_forward() = default;
daemon_forward::daemon_forward(daemon_forward&&) noexcept = default;
daemon_forward& daemon_forward::operator=(daemon_forward&&) noexcept = default;
daemon_forward::~daemon_forward() = default;

daemon_forward discover_daemon(const kube_settings& k) {
  const std::string how =
      "kubectl -n " + k.fwd_namespace
      + " port-forward deployment/flux 3030:3030\n\nand pass --url "
        "http://127.0.0.1:3030/api/flux (or set FLUX_URL).";
  kube::rest_config cfg;
  try {
    cfg = kube::load_config(options_of(k));
  } catch (const std::exception& e) {
    throw client_error("no --url given and no Kubernetes configuration to "
                       "find fluxd with ("
                       + std::string(e.what()) + ").\n\nRun\n\n    " + how);
  }
  kube::client cluster{cfg};
  std::string pod;
  for (auto selector :
       {k.fwd_labels, std::string("name in (flux,fluxd,weave-flux-agent)")}) {
    kube::list_options o;
    o.label_selector = selector;
    o.field_selector = "status.phase=Running";
    o.timeout = std::chrono::seconds(10);
    auto page = cluster.list("v1", "Pod", k.fwd_namespace, o);
    if (!page.items.empty()) {
      pod = std::string(page.items[0].at("metadata").at("name").as_string());
      break;
    }
  }
  if (pod.empty())
    throw client_error(
        "No pod found in namespace \"" + k.fwd_namespace
        + "\" using the following selectors:\n  " + k.fwd_labels
        + "\n  name in (flux,fluxd,weave-flux-agent)\n\nMake sure Flux is "
          "running in namespace \""
        + k.fwd_namespace
        + "\".\nIf Flux is running in another different namespace, please "
          "supply it to --k8s-fwd-ns.");
  daemon_forward d;
  try {
    d.forward =
        std::make_unique<kube::port_forward>(cfg, k.fwd_namespace, pod, 3030);
  } catch (const std::exception& e) {
    throw client_error("cannot port-forward to fluxd pod " + pod
                       + " in namespace " + k.fwd_namespace + ": "
                       + e.what() + "\n\nRun\n\n    kubectl -n "
                       + k.fwd_namespace + " port-forward pod/" + pod
                       + " 3030:3030\n\nand pass --url "
                         "http://127.0.0.1:3030/api/flux (or set FLUX_URL).");
  }
  d.url = "http://127.0.0.1:" + std::to_string(d.forward->local_port())
          + "/api/flux";
  return d;
}

} // namespace fluxd::fluxctl
