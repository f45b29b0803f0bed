#include "messages/registry.hpp"

#include "caf/message.hpp"

namespace fluxd {

std::string to_string(registry_errc code) {
  switch (code) {
    case registry_errc::unreachable:
      return "unreachable";
    case registry_errc::unauthorized:
      return "unauthorized";
    case registry_errc::not_found:
      return "not_found";
    case registry_errc::rate_limited:
      return "rate_limited";
    case registry_errc::server_error:
      return "server_error";
    case registry_errc::bad_response:
      return "bad_response";
    case registry_errc::too_large:
      return "too_large";
    case registry_errc::digest_mismatch:
      return "digest_mismatch";
    case registry_errc::config:
      return "config";
    case registry_errc::storage:
      return "storage";
    case registry_errc::busy:
      return "busy";
  }
  return "unknown";
}

std::string render_registry_error(uint8_t code, caf::atom_value,
                                  const caf::message& context) {
  auto text = "registry: " + to_string(static_cast<registry_errc>(code));
  if (context.size() > 0 && context.match_element<std::string>(0))
    text += " (" + context.get_as<std::string>(0) + ")";
  return text;
}

} // namespace fluxd
