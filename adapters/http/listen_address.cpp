#include "adapters/http/listen_address.hpp"

#include <cerrno>
#include <cstdlib>

namespace fluxd::http {

listen_address parse_listen_address(const std::string& text,
                                    const std::string& flag) {
  auto fail = [&](const std::string& why) {
    return address_error("invalid argument \"" + text + "\" for \"--" + flag
                         + "\" flag: " + why);
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    throw fail("missing port (expected host:port or :port)");
  std::string host = text.substr(0, colon);
  std::string port_text = text.substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.back() != ']')
      throw fail("unbalanced brackets in IPv6 address");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    throw fail("IPv6 addresses need brackets, e.g. [::1]:3030");
  }
  char* end = nullptr;
  errno = 0;
  long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || errno != 0 || port < 0
      || port > 65535)
    throw fail("port must be a number from 0 to 65535");
  if (host.empty())
    host = "0.0.0.0";
  return {host, static_cast<int>(port)};
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

} // namespace fluxd::http
