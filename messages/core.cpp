#include "messages/core.hpp"

#include "caf/deep_to_string.hpp"
#include "caf/message.hpp"

namespace fluxd {

std::string to_string(errc x) {
  switch (x) {
    case errc::restart_intensity:
      return "restart_intensity";
    case errc::child_not_running:
      return "child_not_running";
    case errc::unknown_child:
      return "unknown_child";
    case errc::adapter_failure:
      return "adapter_failure";
    case errc::shutting_down:
      return "shutting_down";
    case errc::dependency_stopped:
      return "dependency_stopped";
  }
  return "unknown_error";
}

std::string render_with_context(std::string code_name,
                                const caf::message& context) {
  auto text = std::move(code_name);
  if (!context.empty()) {
    if (context.match_element<std::string>(0))
      text += ": " + context.get_as<std::string>(0);
    else
      text += ": " + caf::deep_to_string(context);
  }
  return text;
}

std::string render_errc(uint8_t code, caf::atom_value,
                        const caf::message& context) {
  return render_with_context(to_string(static_cast<errc>(code)), context);
}

} // namespace fluxd
