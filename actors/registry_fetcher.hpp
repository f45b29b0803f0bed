#pragma once

#include <memory>
#include <vector>

#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/registry/client.hpp"
#include "messages/registry.hpp"

namespace fluxd {

/// Maps an adapter failure to a `registry` error carrying its message.
caf::error to_error(const registry::registry_error& e);

/// Converts the adapter's per-tag record into the message form.
image_meta to_meta(const std::string& tag, const registry::image_info& info);

/// Owns one registry client and does its blocking HTTP; spawn detached.
/// Never fails a request: errors travel inside fetch_result with the
/// responses seen, so the host can back off either way.
struct registry_fetcher_state {
  static inline const char* name = "fluxd.registry_fetcher";
  std::unique_ptr<registry::client> client;
  std::vector<response_signal> signals;
};

registry_fetcher_actor::behavior_type
registry_fetcher(registry_fetcher_actor::stateful_pointer<registry_fetcher_state>
                   self,
                 registry::client_options opts);

} // namespace fluxd
