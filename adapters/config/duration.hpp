#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace fluxd::config {

using duration = std::chrono::nanoseconds;

/// A malformed duration; the message says what was wrong, as Go's does.
class duration_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Parses Go's time.ParseDuration syntax: "300ms", "-1.5h", "2h45m", "0".
/// Units: ns, us (µs, μs), ms, s, m, h.
duration parse_duration(std::string_view text);

/// Formats like Go's Duration.String(): "5m0s", "1h30m0s", "20s", "1.5s", "0s".
std::string format_duration(duration d);

} // namespace fluxd::config
