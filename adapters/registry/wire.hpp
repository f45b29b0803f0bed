#pragma once

#include <string>
#include <string_view>

/// Small HTTP-level helpers of the registry client, pure and unit-tested.
namespace fluxd::registry::wire {

/// `scheme://host[:port]` and the rest of a URL.
struct split_url {
  std::string origin;
  std::string target;
};

/// Splits an absolute URL; a relative one has an empty origin.
split_url split(const std::string& url);

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);

/// `{"errors":[{"code":"…","message":"…"}]}` → "CODE message", else a
/// short, printable prefix of the body.
std::string describe_body(const std::string& body);

/// The target of `Link: <url>; rel="next"` (of several comma-separated
/// links), or empty.
std::string next_link(const std::string& header);

} // namespace fluxd::registry::wire
