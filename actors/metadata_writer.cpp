#include "actors/metadata_writer.hpp"

#include "actors/handlers.hpp"
#include "adapters/registry/errors.hpp"
#include "adapters/registry/metadata_cache.hpp"

namespace fluxd {

metadata_writer_actor::behavior_type metadata_writer(
  metadata_writer_actor::stateful_pointer<metadata_writer_state> self) {
  install_handlers(self, self->state.log);
  return {
    [=](store_meta_atom, const std::string& path, const std::string& content) {
      try {
        registry::write_file_atomically(path, content);
      } catch (const registry::registry_error& e) {
        self->state.log.warn("cannot persist image metadata",
                             {{"err", e.what()}});
      }
    },
  };
}

} // namespace fluxd
