#pragma once

#include <string>

#include <boost/json/value.hpp>
#include <yaml-cpp/yaml.h>

/// Manifests as the API server wants them: JSON with the scalar typing of
/// go-yaml v2 (YAML 1.1), which is how Flux v1 read every manifest, and a
/// stable checksum of the normalised object for `fluxcd.io/sync-checksum`.
namespace fluxd::manifests {

/// Plain scalars resolve as YAML 1.1: `true/yes/on/y` are booleans,
/// `0755` is octal, `1_000` is 1000, `~`/`null`/empty are null; quoted
/// scalars and `!!str` stay strings; `<<` merge keys are expanded. Throws
/// manifest_error for what JSON cannot hold (non-scalar keys, .inf, .nan).
boost::json::value to_json(const YAML::Node& node);

/// Lower-case hex SHA-1 of the normalised (sorted-key) document.
std::string checksum(const YAML::Node& node);

} // namespace fluxd::manifests
