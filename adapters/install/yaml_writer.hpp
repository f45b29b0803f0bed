#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace fluxd::install {

/// Block-style YAML for `node`. Unlike yaml-cpp's own emitter it keeps
/// strings strings: a scalar quoted in the source (tag "!") that would
/// read back as a number, bool or null ("3031", "true") stays quoted, and
/// multi-line strings become literal blocks.
std::string write_yaml(const YAML::Node& node);

/// A string node that is written quoted when it has to be.
YAML::Node string_node(const std::string& value);

/// Whether a plain `value` would be read by YAML 1.1 (Kubernetes' parser)
/// as something other than a string.
bool looks_typed(const std::string& value);

} // namespace fluxd::install
