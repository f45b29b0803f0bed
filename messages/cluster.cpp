#include "messages/cluster.hpp"

#include "caf/message.hpp"
#include "messages/core.hpp"

namespace fluxd {

std::string to_string(cluster_errc x) {
  switch (x) {
    case cluster_errc::unreachable: return "unreachable";
    case cluster_errc::not_synced: return "not_synced";
    case cluster_errc::api: return "api";
  }
  return "unknown";
}

std::string render_cluster_error(uint8_t code, caf::atom_value,
                                 const caf::message& context) {
  return render_with_context(to_string(static_cast<cluster_errc>(code)),
                             context);
}

} // namespace fluxd
