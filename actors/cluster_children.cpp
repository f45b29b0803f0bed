#include "actors/cluster_children.hpp"


#include "caf/actor_cast.hpp"
#include "caf/local_actor.hpp"

#include "actors/cluster_view.hpp"
#include "adapters/kube/config.hpp"
#include "adapters/log/log.hpp"

namespace fluxd {

std::vector<child_spec> cluster_children(
    const config::daemon_config& flags,
    std::shared_ptr<registry::swappable_credentials> pull_secrets) {
  log::logger log{"cluster"};
  kube::rest_config rc;
  try {
    kube::config_options where;
    where.kubeconfig = flags.kube_config;
    rc = kube::load_config(where);
  } catch (const std::exception& e) {
    log.warn("no Kubernetes configuration; no cluster view",
             {{"err", e.what()}});
    return {};
  }
  cluster_view_config cc;
  // Parsing has merged --k8s-namespace-whitelist into it.
  cc.allowed_namespaces = flags.k8s_allow_namespace;
  cc.pull_secrets = std::move(pull_secrets);
  kube::client_options co;
  co.qps = flags.k8s_qps;
  co.burst = flags.k8s_burst;
  child_spec s;
  s.name = "cluster-view";
  s.mode = restart_mode::permanent;
  s.start = [cc, rc, co](caf::local_actor* parent) {
    auto cfg = cc;
    cfg.client = std::make_shared<kube::client>(rc, co);
    return caf::actor_cast<caf::actor>(parent->spawn(cluster_view, cfg));
  };
  return {std::move(s)};
}

} // namespace fluxd
