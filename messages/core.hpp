#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/error.hpp"
#include "caf/fwd.hpp"
#include "caf/make_message.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/type_id.hpp"

#include "messages/ids.hpp"

namespace fluxd {

/// fluxd's own error codes (category "fluxd"); the context carries the
/// human-readable detail (which file, which request).
enum class errc : uint8_t {
  restart_intensity = 1, ///< a child crashed too often: escalate
  child_not_running,     ///< lookup of a child that is between restarts
  unknown_child,
  adapter_failure,       ///< an adapter threw; context has its message
  shutting_down,
  dependency_stopped, ///< an actor it depends on stopped: restart with it
};

std::string to_string(errc x);

/// "<code name>: <context>" — the shared shape of every category's render
/// function (the context's first string, or all of it).
std::string render_with_context(std::string code_name,
                                const caf::message& context);

/// Renders fluxd errors for logs (registered with add_error_category).
std::string render_errc(uint8_t code, caf::atom_value category,
                        const caf::message& context);

/// When a supervisor restarts a child (Erlang's restart types).
enum class restart_mode : uint8_t {
  permanent, ///< always, whatever the exit reason
  transient, ///< only after an abnormal exit
  temporary, ///< never
};

/// How a supervisor starts one child. `start` spawns the actor (it may pass
/// caf::detached) and returns its handle; the supervisor links to it.
struct child_spec {
  std::string name;
  restart_mode mode = restart_mode::permanent;
  std::function<caf::actor(caf::local_actor* parent)> start;
};

/// What a supervisor reports about one child.
struct child_status {
  std::string name;
  bool running = false;
  uint32_t restarts = 0; ///< total since the supervisor started
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_status& x) {
  return f(caf::meta::type_name("child_status"), x.name, x.running,
           x.restarts);
}

} // namespace fluxd

CAF_ERROR_CODE_ENUM(fluxd::errc, "fluxd")

// child_spec holds a std::function: it never crosses a process boundary.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fluxd::child_spec)

CAF_BEGIN_TYPE_ID_BLOCK(fluxd_core, fluxd::type_id_range::core)
  CAF_ADD_TYPE_ID(fluxd_core, (fluxd::child_status))
  CAF_ADD_TYPE_ID(fluxd_core, (std::vector<fluxd::child_status>))
  CAF_ADD_ATOM(fluxd_core, fluxd, restart_atom, "restart")
  CAF_ADD_ATOM(fluxd_core, fluxd, children_atom, "children")
  CAF_ADD_ATOM(fluxd_core, fluxd, stop_child_atom, "stopchild")
  CAF_ADD_ATOM(fluxd_core, fluxd, crash_atom, "crash")
CAF_END_TYPE_ID_BLOCK(fluxd_core)
