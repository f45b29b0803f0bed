#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "adapters/fluxctl/flags.hpp"

namespace fluxd::fluxctl {

void install_flags(flag_set& f);
/// `fluxctl install`: deploy/base rendered by adapters/install to stdout or
/// to files in --output-dir (Flux v1's deprecation banner is not printed:
/// fluxd is what it asked users to move to).
void install(const flag_set& f, const std::string& default_namespace,
             const std::vector<std::string>& args, std::ostream& out,
             std::ostream& err);

} // namespace fluxd::fluxctl
