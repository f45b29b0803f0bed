#pragma once

#include <exception>
#include <string>

#include "caf/error.hpp"
#include "caf/exit_reason.hpp"
#include "caf/scheduled_actor.hpp"
#include "caf/sec.hpp"

#include "adapters/log/log.hpp"

namespace fluxd {

/// Routes CAF's own diagnostics through our logger instead of stdout: an
/// exception in a handler is logged and ends the actor with
/// sec::runtime_error (its supervisor restarts it); unexpected messages,
/// stray errors and down messages are logged, never printed.
inline void install_handlers(caf::scheduled_actor* self,
                             const log::logger& logger) {
  self->set_exception_handler(
    [logger](caf::scheduled_actor* s, std::exception_ptr& eptr) -> caf::error {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(eptr);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
        // keep the generic text
      }
      logger.error("actor crashed with an exception",
                   {{"actor", s->name()}, {"err", what}});
      return caf::make_error(caf::sec::runtime_error, what);
    });
  self->set_default_handler(
    [logger](caf::scheduled_actor* s,
             caf::message_view& msg) -> caf::result<caf::message> {
      logger.warn("unexpected message",
                  {{"actor", s->name()}, {"message", msg.content().stringify()}});
      return caf::sec::unexpected_message;
    });
  self->set_error_handler([self, logger](caf::error& err) {
    logger.warn("unhandled error message",
                {{"actor", self->name()}, {"err", self->system().render(err)}});
  });
  self->set_down_handler([self, logger](caf::down_msg& msg) {
    logger.debug("unhandled down message",
                 {{"actor", self->name()},
                  {"reason", self->system().render(msg.reason)}});
  });
}

} // namespace fluxd
