#include "actors/git_children.hpp"

#include "caf/actor_cast.hpp"
#include "caf/local_actor.hpp"

#include "actors/git_mirror.hpp"
#include "actors/git_writer.hpp"

namespace fluxd {

std::vector<child_spec>
git_children(const config::daemon_config& flags,
             std::function<void(const git_status&)> on_status) {
  std::vector<child_spec> out;
  if (flags.git_url.empty())
    return out;
  auto mirror = mirror_config(flags);
  mirror.on_status = std::move(on_status);
  child_spec m;
  m.name = "git-mirror";
  m.mode = restart_mode::permanent;
  m.start = [mirror](caf::local_actor* parent) {
    return caf::actor_cast<caf::actor>(
        parent->spawn<caf::detached>(git_mirror, mirror));
  };
  out.push_back(std::move(m));
  if (flags.git_readonly)
    return out;
  auto writer = writer_config(flags);
  child_spec w;
  w.name = "git-writer";
  w.mode = restart_mode::permanent;
  w.start = [writer](caf::local_actor* parent) {
    return caf::actor_cast<caf::actor>(
        parent->spawn<caf::detached>(git_writer, writer));
  };
  out.push_back(std::move(w));
  return out;
}

} // namespace fluxd
