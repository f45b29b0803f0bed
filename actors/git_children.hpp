#pragma once

#include <functional>
#include <vector>

#include "adapters/config/daemon_config.hpp"
#include "messages/core.hpp"
#include "messages/git.hpp"

namespace fluxd {

/// The "repositories" area's children for fluxd's flags: `git-mirror` and,
/// unless --git-readonly, `git-writer`, both detached (libgit2 blocks) and
/// permanent. None without --git-url (git-repo-config then reports
/// `unconfigured`). Clients find them with (get_atom, name) on the area's
/// supervisor and narrow the handle to git_mirror_actor/git_writer_actor.
/// `on_status` (optional, thread-safe) hears every status change of the
/// mirror, e.g. to feed /readyz.
std::vector<child_spec>
git_children(const config::daemon_config& flags,
             std::function<void(const git_status&)> on_status = {});

} // namespace fluxd
