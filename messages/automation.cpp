#include "messages/automation.hpp"
#include "messages/core.hpp"

#include "caf/deep_to_string.hpp"
#include "caf/message.hpp"

namespace fluxd {

std::string to_string(job_errc x) {
  switch (x) {
    case job_errc::bad_spec:
      return "bad_spec";
    case job_errc::unknown_job:
      return "unknown_job";
    case job_errc::release_failed:
      return "release_failed";
    case job_errc::readonly:
      return "readonly";
    case job_errc::unavailable:
      return "unavailable";
  }
  return "unknown_error";
}

std::string render_job_error(uint8_t code, caf::atom_value,
                             const caf::message& context) {
  return render_with_context(to_string(static_cast<job_errc>(code)), context);
}

} // namespace fluxd
