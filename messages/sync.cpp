#include "messages/sync.hpp"

namespace fluxd {

std::string to_string(sync_errc x) {
  switch (x) {
    case sync_errc::unreachable: return "unreachable";
    case sync_errc::api: return "api";
    case sync_errc::manifests: return "manifests";
    case sync_errc::other: return "other";
  }
  return "unknown";
}

std::string render_sync_error(uint8_t code, caf::atom_value,
                              const caf::message& context) {
  std::string out = "sync: " + to_string(static_cast<sync_errc>(code));
  if (!context.empty() && context.match_elements<std::string>())
    out += " (" + context.get_as<std::string>(0) + ")";
  return out;
}

std::string error_text(const caf::error& err) {
  const auto& ctx = err.context();
  if (!ctx.empty() && ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return to_string(err);
}

bool is_unreachable(const caf::error& err) {
  return err.category() == caf::atom("sync")
         && err.code() == static_cast<uint8_t>(sync_errc::unreachable);
}

} // namespace fluxd
