#pragma once

#include <cstddef>
#include <string_view>

#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

namespace fluxd::kube {

/// Boost.JSON stops at 32 levels by default; CRDs (nested OpenAPI schemas)
/// and managedFields go far deeper.
inline constexpr std::size_t max_json_depth = 1000;

inline boost::json::parse_options json_options() {
  boost::json::parse_options o;
  o.max_depth = max_json_depth;
  return o;
}

/// json::parse with our depth limit; `ec` set on malformed input. `sp`
/// lets a short-lived tree live in an arena (a monotonic_resource).
boost::json::value parse_json(std::string_view text,
                              boost::json::error_code& ec,
                              boost::json::storage_ptr sp = {});

} // namespace fluxd::kube
