#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "adapters/fluxctl/flags.hpp"

namespace fluxd::fluxctl {

void install_flags(flag_set& f);
/// `fluxctl install`: the manifests of adapters/install to stdout or to
/// files in --output-dir, after Flux v1's deprecation banner on stderr.
void install(const flag_set& f, const std::string& default_namespace,
             const std::vector<std::string>& args, std::ostream& out,
             std::ostream& err);

} // namespace fluxd::fluxctl
