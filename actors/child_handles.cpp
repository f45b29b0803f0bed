#include "actors/child_handles.hpp"

#include "caf/actor_cast.hpp"
#include "caf/exit_reason.hpp"
#include "caf/message_id.hpp"
#include "caf/system_messages.hpp"

namespace fluxd {

void child_handles::set(const std::string& name, caf::actor handle) {
  std::lock_guard<std::mutex> lock{mtx_};
  by_name_[name] = std::move(handle);
}

caf::actor child_handles::get(const std::string& name) const {
  std::lock_guard<std::mutex> lock{mtx_};
  auto it = by_name_.find(name);
  return it == by_name_.end() ? caf::actor{} : it->second;
}

std::vector<child_spec> recorded(std::vector<child_spec> specs,
                                 std::shared_ptr<child_handles> handles) {
  for (auto& spec : specs) {
    auto inner = spec.start;
    auto name = spec.name;
    spec.start = [inner, name, handles](caf::local_actor* parent) {
      auto h = inner(parent);
      handles->set(name, h);
      return h;
    };
  }
  return specs;
}

void stop_with(const caf::actor& dependant,
               const std::vector<caf::actor>& dependencies) {
  // A weak address: the functor lives as long as the dependency and must
  // not keep a restarted-away dependant alive.
  auto weak = dependant.address();
  for (auto& dep : dependencies) {
    if (!dep)
      continue;
    dep->attach_functor([weak](const caf::error&) {
      // anon_send_exit takes only an exit_reason; this carries ours.
      if (auto strong = caf::actor_cast<caf::actor>(weak))
        strong->enqueue(nullptr,
                        caf::make_message_id(caf::message_priority::high),
                        caf::make_message(caf::exit_msg{
                          strong.address(),
                          caf::make_error(errc::dependency_stopped)}),
                        nullptr);
    });
  }
}

} // namespace fluxd
