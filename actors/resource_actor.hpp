#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  /// Told (unsettled_atom, id) when this actor, once in sync, is no longer;
  /// null: nobody to tell.
  caf::actor coordinator;
};

/// Private: a retry after back-off (carries the retry generation).
using resource_impl =
  resource_actor::extend<caf::reacts_to<res_retry_atom, uint64_t>>;

/// What a resource actor remembers of the live object: a few strings and
/// two digests instead of JSON trees (10,000 resources must fit in a few
/// tens of MB). Digests are taken on the fields the desired state sets.
struct live_summary {
  bool known = false;  ///< false: read it before deciding
  bool absent = false; ///< the object does not exist
  std::optional<unsigned long long> resource_version;
  std::string checksum; ///< its fluxd checksum annotation
  std::string ignore;   ///< its `ignore` policy value
  std::string taken_for; ///< the desired checksum the two below were taken for
  std::string digest;    ///< digest_on(desired, live)
  bool subset = false;   ///< subset_equal(desired, live)
};

struct resource_state {
  static inline const char* name = "fluxd.resource";
  resource_config config;
  std::optional<desired_state> desired;
  live_summary live;
  /// digest_on(desired, the object as stored right after fluxd applied the
  /// current desired state); empty when there is none. Drift is a live
  /// digest that differs from it.
  std::string baseline;
  bool busy = false;  ///< a get or apply is in flight
  bool again = false; ///< something changed while busy: look again
  /// Answered applied or unchanged and in sync since: the coordinator may
  /// count it unchanged without asking until told otherwise.
  bool settled = false;
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
