#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

/// RFC 6455 framing: enough for the port-forward tunnel (binary messages,
/// ping/pong, close), client and server side.
namespace fluxd::kube::ws {

class ws_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

enum opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xa,
};

/// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string accept_key(std::string_view key);
/// A fresh random Sec-WebSocket-Key.
std::string new_key();

/// One final frame; clients must mask (`masked`), servers must not.
std::string frame(opcode op, std::string_view payload, bool masked);

struct message {
  opcode op = binary;
  std::string payload;
};

/// Reassembles messages from bytes; control frames come out as they arrive
/// (also between the fragments of a data message).
class decoder {
public:
  void feed(std::string_view bytes) { in_.append(bytes); }
  /// False when more bytes are needed. Throws ws_error on a protocol error.
  bool next(message& out);

private:
  std::string in_;
  std::string partial_;
  opcode partial_op_ = binary;
  bool in_message_ = false;
};

} // namespace fluxd::kube::ws
