#include "actors/registry_children.hpp"

#include "caf/actor_cast.hpp"
#include "caf/local_actor.hpp"

#include "actors/registry_scanner.hpp"
#include "adapters/registry/metrics.hpp"

namespace fluxd {

std::vector<child_spec>
registry_children(const config::daemon_config& flags,
                  std::shared_ptr<const registry::credentials_provider>
                    pull_secrets) {
  std::vector<child_spec> out;
  if (flags.registry_disable_scanning)
    return out;
  auto sc = scanner_config(flags, std::move(pull_secrets));
  sc.observer = registry::count_request;
  child_spec s;
  s.name = "registry-scanner";
  s.start = [sc](caf::local_actor* parent) {
    return caf::actor_cast<caf::actor>(parent->spawn(registry_scanner, sc));
  };
  out.push_back(std::move(s));
  return out;
}

} // namespace fluxd
