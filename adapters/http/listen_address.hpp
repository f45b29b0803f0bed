#pragma once

#include <stdexcept>
#include <string>

namespace fluxd::http {

/// A host and port to bind, parsed from Go's listen syntax.
struct listen_address {
  std::string host; ///< "0.0.0.0" when the address gave none
  int port = 0;
};

class address_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Parses ":3030", "127.0.0.1:0", "localhost:8080", "[::1]:3030".
/// Throws address_error naming the flag and the bad value.
listen_address parse_listen_address(const std::string& text,
                                    const std::string& flag);

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(const std::string& host);

} // namespace fluxd::http
