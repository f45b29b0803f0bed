#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// SPDY/3.1 framing, as much as Kubernetes port-forward uses (kubectl and
/// the API server tunnel it inside a WebSocket: "SPDY/3.1+portforward.k8s.io").
namespace fluxd::kube::spdy {

class spdy_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

using headers = std::vector<std::pair<std::string, std::string>>;

enum frame_type : std::uint16_t {
  syn_stream = 1,
  syn_reply = 2,
  rst_stream = 3,
  settings = 4,
  ping = 6,
  goaway = 7,
  headers_frame = 8,
  window_update = 9,
};

constexpr std::uint8_t flag_fin = 0x01;

struct frame {
  bool control = false;
  std::uint16_t type = 0; ///< control frames: frame_type
  std::uint8_t flags = 0;
  std::uint32_t stream_id = 0; ///< 0 for settings/ping/goaway
  std::string data;            ///< DATA payload
  spdy::headers headers;       ///< SYN_STREAM, SYN_REPLY, HEADERS
  std::uint32_t value = 0;     ///< RST/GOAWAY status, PING id
  bool fin() const { return flags & flag_fin; }
};

/// The first value of header `name` ("" when absent).
std::string header(const headers& h, std::string_view name);

/// One connection's framing: header blocks share one zlib stream in each
/// direction, so one codec per connection.
class codec {
public:
  codec();
  ~codec();
  codec(const codec&) = delete;
  codec& operator=(const codec&) = delete;

  std::string syn_stream(std::uint32_t id, const headers& h, bool fin = false);
  std::string syn_reply(std::uint32_t id, const headers& h, bool fin = false);
  std::string data(std::uint32_t id, std::string_view bytes, bool fin);
  std::string rst_stream(std::uint32_t id, std::uint32_t status);
  std::string ping(std::uint32_t id);
  std::string goaway(std::uint32_t last_good_stream);

  void feed(std::string_view bytes) { in_.append(bytes); }
  /// The next complete frame; false when more bytes are needed. Throws
  /// spdy_error on a malformed frame or header block.
  bool next(frame& out);

private:
  std::string header_block(const headers& h);
  headers parse_header_block(std::string_view compressed);
  struct zlib_state;
  std::unique_ptr<zlib_state> z_;
  std::string in_;
};

} // namespace fluxd::kube::spdy
