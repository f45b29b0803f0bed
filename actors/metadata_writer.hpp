#pragma once

#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"

#include "adapters/log/log.hpp"
#include "messages/registry.hpp"

namespace fluxd {

/// Does the fsyncs of the image metadata cache so image_repo actors, which
/// run on the shared scheduler, never wait for the disk. Spawn detached.
struct metadata_writer_state {
  static inline const char* name = "fluxd.metadata_writer";
  log::logger log{"metadata_writer"};
};

metadata_writer_actor::behavior_type metadata_writer(
  metadata_writer_actor::stateful_pointer<metadata_writer_state> self);

} // namespace fluxd
