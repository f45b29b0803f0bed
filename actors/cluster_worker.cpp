#include "actors/cluster_worker.hpp"

#include "actors/handlers.hpp"
#include "adapters/kube/export.hpp"
#include "adapters/kube/pull_secrets.hpp"

namespace fluxd {

caf::error current_cluster_error() {
  try {
    throw;
  } catch (const kube::transport_error& e) {
    return caf::make_error(cluster_errc::unreachable, std::string{e.what()});
  } catch (const kube::api_error& e) {
    return caf::make_error(cluster_errc::api, std::string{e.what()});
  } catch (const std::exception& e) {
    return caf::make_error(cluster_errc::unreachable, std::string{e.what()});
  }
}

cluster_worker_actor::behavior_type cluster_worker(
    cluster_worker_actor::stateful_pointer<cluster_worker_state> self,
    cluster_worker_config config) {
  install_handlers(self, self->state.log);
  return {
      [=](cluster_export_atom) -> caf::result<std::string> {
        try {
          return kube::export_cluster(*config.client, config.allowed_namespaces,
                                      config.request_timeout);
        } catch (...) {
          return current_cluster_error();
        }
      },
      [=](cluster_ping_atom) -> caf::result<bool> {
        // Flux v1 asks for the server version.
        kube::http_request req{"GET", "/version"};
        req.timeout = config.ping_timeout;
        try {
          config.client->request(req);
          return true;
        } catch (const std::exception& e) {
          self->state.log.debug("ping failed", {{"err", e.what()}});
          return false;
        }
      },
      [=](cluster_creds_atom, const std::vector<pull_secret_source>& from)
          -> caf::result<std::vector<std::string>, std::vector<std::string>> {
        if (!config.pull_secrets)
          return caf::make_error(cluster_errc::api,
                                 "no pull secret credentials configured");
        std::vector<kube::pull_source> sources;
        for (const auto& s : from)
          sources.push_back({s.ns, s.service_account, s.pull_secrets});
        try {
          auto got = kube::read_pull_credentials(*config.client, sources,
                                                 config.request_timeout);
          config.pull_secrets->set(
              std::make_shared<registry::static_credentials>(
                  std::move(got.credentials)));
          return {std::move(got.problems), std::move(got.consulted)};
        } catch (...) {
          return current_cluster_error();
        }
      },
  };
}

} // namespace fluxd
