#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "caf/typed_response_promise.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/log/log.hpp"
#include "messages/sync.hpp"

namespace fluxd {

struct resource_config {
  std::string id;
  kube_worker_actor worker; ///< its share of the pool
  caf::timespan retry_initial = std::chrono::seconds(1);
  caf::timespan retry_max = std::chrono::seconds(30);
  caf::timespan request_timeout = std::chrono::seconds(60);
};

/// Private: a retry after back-off (carries the retry generation).
using resource_impl =
  resource_actor::extend<caf::reacts_to<res_retry_atom, uint64_t>>;

struct resource_state {
  static inline const char* name = "fluxd.resource";
  resource_config config;
  std::optional<desired_state> desired;
  boost::json::value desired_object; ///< parsed desired->object
  /// The live object as last seen (null: absent); valid when live_known.
  boost::json::value live;
  /// The object as stored right after fluxd applied the current desired
  /// state: drift is a difference from it in a field git sets.
  boost::json::value baseline;
  bool live_known = false;
  bool busy = false;  ///< a get or apply is in flight
  bool again = false; ///< something changed while busy: look again
  std::vector<caf::typed_response_promise<apply_outcome>> waiting; ///< desired requests
  std::string last_error;
  uint32_t failures = 0;
  uint64_t retry_generation = 0;
  log::logger log{"sync"};
};

/// One resource of git: holds its desired state, the last live object (from
/// its own calls and the kind's watch) and applies when they differ in a
/// field git sets or the live object is gone. A live object annotated
/// `ignore: "true"` (or a manifest so annotated) is left alone. Failures
/// are retried with back-off; a restart rebuilds from the desired state
/// the coordinator sends again and a fresh read of the live object.
resource_impl::behavior_type
resource(resource_impl::stateful_pointer<resource_state> self,
         resource_config config);

} // namespace fluxd
