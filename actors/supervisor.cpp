#include "actors/supervisor.hpp"

#include <algorithm>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/exit_reason.hpp"
#include "caf/send.hpp"

#include "actors/handlers.hpp"
#include "adapters/metrics/fluxd_metrics.hpp"

namespace fluxd {

namespace {

using self_ptr = caf::stateful_actor<supervisor_state>*;

supervised_child* find_child(self_ptr self, const std::string& name) {
  for (auto& c : self->state.children)
    if (c.spec.name == name)
      return &c;
  return nullptr;
}

supervised_child* find_child(self_ptr self, const caf::actor_addr& addr) {
  for (auto& c : self->state.children)
    if (c.last_address && c.last_address == addr)
      return &c;
  return nullptr;
}

void start_child(self_ptr self, supervised_child& child) {
  child.generation += 1;
  try {
    child.handle = child.spec.start(self);
  } catch (const std::exception& e) {
    self->state.logger.error("child failed to start",
                             {{"child", child.spec.name}, {"err", e.what()}});
    child.handle = caf::actor{};
  }
  if (!child.handle) {
    // A start that fails counts as a crash, so back-off and escalation apply.
    child.running = false;
    auto decision = child.tracker.on_crash(self->clock().now());
    if (decision.escalate) {
      self->quit(caf::make_error(errc::restart_intensity, child.spec.name));
      return;
    }
    self->delayed_send(self, decision.delay, restart_atom_v, child.spec.name,
                       child.generation);
    return;
  }
  child.running = true;
  child.last_address = child.handle.address();
  // No link: CAF propagates exit_reason::kill over links untrappably, so a
  // killed child would take its supervisor down. The monitor tells us when
  // it ends; our own end takes the children down (see `children_on_exit`).
  self->monitor(child.handle);
  self->state.live->push_back(child.handle);
}

/// Stops the last running child, or quits when none is left.
void stop_next(self_ptr self) {
  auto& children = self->state.children;
  for (auto i = children.rbegin(); i != children.rend(); ++i) {
    if (!i->running)
      continue;
    self->send_exit(i->handle, caf::exit_reason::user_shutdown);
    self->delayed_send(self, self->state.config.stop_timeout, stop_child_atom_v,
                       i->spec.name, i->generation);
    return;
  }
  self->quit(self->state.shutdown_reason);
}

void begin_shutdown(self_ptr self, caf::error reason) {
  if (self->state.shutting_down)
    return;
  self->state.shutting_down = true;
  self->state.shutdown_reason = std::move(reason);
  self->state.logger.info("stopping children",
                          {{"supervisor", self->state.config.name}});
  stop_next(self);
}

void on_child_exit(self_ptr self, supervised_child& child,
                   const caf::error& reason) {
  auto& live = *self->state.live;
  live.erase(std::remove(live.begin(), live.end(), child.handle), live.end());
  child.running = false;
  child.handle = caf::actor{};
  if (self->state.shutting_down) {
    stop_next(self);
    return;
  }
  bool abnormal = static_cast<bool>(reason);
  auto mode = child.spec.mode;
  bool restart = mode == restart_mode::permanent
                 || (mode == restart_mode::transient && abnormal);
  auto reason_text = abnormal ? self->system().render(reason) : "normal";
  if (!restart) {
    self->state.logger.info("child exited", {{"child", child.spec.name},
                                             {"reason", reason_text}});
    return;
  }
  auto decision = child.tracker.on_crash(self->clock().now());
  if (decision.escalate) {
    metrics::standard().actor_escalations.with({self->state.config.name}).inc();
    self->state.logger.error(
      "child restarted too often, escalating",
      {{"supervisor", self->state.config.name},
       {"child", child.spec.name},
       {"reason", reason_text}});
    self->quit(caf::make_error(errc::restart_intensity,
                               self->state.config.name + "/"
                                 + child.spec.name));
    return;
  }
  auto delay_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    decision.delay)
                    .count();
  self->state.logger.warn("child exited, restarting",
                          {{"child", child.spec.name},
                           {"reason", reason_text},
                           {"backoff_ms", static_cast<int64_t>(delay_ms)}});
  self->delayed_send(self, decision.delay, restart_atom_v, child.spec.name,
                     child.generation);
}

} // namespace

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self,
                         supervisor_config config) {
  self->state.logger = log::logger{"supervisor", {{"name", config.name}}};
  install_handlers(self, self->state.logger);
  for (auto& spec : config.children) {
    supervised_child child;
    child.spec = spec;
    child.tracker = supervision::restart_tracker{config.policy};
    self->state.children.push_back(std::move(child));
  }
  self->state.config = std::move(config);
  // Whatever ends the supervisor ends its children, as a link would.
  auto live = self->state.live;
  self->attach_functor([live](const caf::error& reason) {
    auto child_reason = reason == caf::exit_reason::kill
                          ? caf::exit_reason::kill
                          : caf::exit_reason::user_shutdown;
    for (auto& child : *live)
      caf::anon_send_exit(child, child_reason);
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    // A child's exit is handled when its down message arrives.
    if (find_child(self, msg.source))
      return;
    // From our own supervisor, or a shutdown request: stop in order.
    begin_shutdown(self, msg.reason);
  });
  self->set_down_handler([self](caf::down_msg& msg) {
    auto* child = find_child(self, msg.source);
    if (child && child->running && child->handle
        && child->handle.address() == msg.source)
      on_child_exit(self, *child, msg.reason);
  });
  for (auto& child : self->state.children) {
    start_child(self, child);
    if (self->getf(caf::abstract_actor::is_terminated_flag))
      break;
  }
  return {
    [=](restart_atom, const std::string& name, uint64_t generation) {
      auto* child = find_child(self, name);
      if (!child || child->generation != generation || child->running
          || self->state.shutting_down)
        return;
      child->restarts += 1;
      metrics::standard()
        .actor_restarts.with({self->state.config.name, name})
        .inc();
      start_child(self, *child);
    },
    [=](stop_child_atom, const std::string& name, uint64_t generation) {
      auto* child = find_child(self, name);
      if (!child || !child->running || child->generation != generation)
        return;
      self->state.logger.warn("child did not stop in time, killing it",
                              {{"child", name}});
      self->send_exit(child->handle, caf::exit_reason::kill);
    },
    [=](caf::get_atom, const std::string& name) -> caf::result<caf::actor> {
      auto* child = find_child(self, name);
      if (!child)
        return caf::make_error(errc::unknown_child, name);
      if (!child->running)
        return caf::make_error(errc::child_not_running, name);
      return child->handle;
    },
    [=](children_atom) {
      std::vector<child_status> out;
      for (auto& c : self->state.children)
        out.push_back({c.spec.name, c.running, c.restarts});
      return out;
    },
    [=](caf::add_atom, child_spec spec) -> caf::result<caf::actor> {
      if (self->state.shutting_down)
        return caf::make_error(errc::shutting_down, spec.name);
      if (find_child(self, spec.name))
        return caf::make_error(errc::adapter_failure,
                               "child exists: " + spec.name);
      supervised_child child;
      child.spec = std::move(spec);
      child.tracker
        = supervision::restart_tracker{self->state.config.policy};
      self->state.children.push_back(std::move(child));
      auto& added = self->state.children.back();
      start_child(self, added);
      if (!added.running)
        return caf::make_error(errc::child_not_running, added.spec.name);
      return added.handle;
    },
  };
}

} // namespace fluxd
