#include "adapters/kube/websocket.hpp"

#include <array>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace fluxd::kube::ws {

namespace {

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  auto len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

} // namespace

std::string accept_key(std::string_view key) {
  std::string text(key);
  text += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
       digest.data());
  return base64(digest.data(), digest.size());
}

std::string new_key() {
  std::array<unsigned char, 16> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    throw ws_error("no random bytes for a WebSocket key");
  return base64(raw.data(), raw.size());
}

std::string frame(opcode op, std::string_view payload, bool masked) {
  std::string out;
  out.push_back(static_cast<char>(0x80 | op));
  auto mask_bit = static_cast<unsigned char>(masked ? 0x80 : 0);
  auto n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xffff) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift)
                                      & 0xff));
  }
  if (!masked)
    return out.append(payload);
  std::array<unsigned char, 4> mask{};
  if (RAND_bytes(mask.data(), 4) != 1)
    throw ws_error("no random bytes for a WebSocket mask");
  out.append(reinterpret_cast<const char*>(mask.data()), 4);
  auto at = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < n; ++i)
    out[at + i] = static_cast<char>(out[at + i] ^ mask[i % 4]);
  return out;
}

bool decoder::next(message& out) {
  for (;;) {
    if (in_.size() < 2)
      return false;
    auto b0 = static_cast<unsigned char>(in_[0]);
    auto b1 = static_cast<unsigned char>(in_[1]);
    bool fin = b0 & 0x80;
    auto op = static_cast<opcode>(b0 & 0x0f);
    bool masked = b1 & 0x80;
    std::uint64_t n = b1 & 0x7f;
    std::size_t at = 2;
    if (n == 126 || n == 127) {
      std::size_t width = n == 126 ? 2 : 8;
      if (in_.size() < at + width)
        return false;
      n = 0;
      for (std::size_t i = 0; i < width; ++i)
        n = (n << 8) | static_cast<unsigned char>(in_[at + i]);
      at += width;
    }
    if (n > (std::uint64_t{1} << 30))
      throw ws_error("WebSocket frame too large");
    std::array<unsigned char, 4> mask{};
    if (masked) {
      if (in_.size() < at + 4)
        return false;
      for (int i = 0; i < 4; ++i)
        mask[static_cast<std::size_t>(i)] =
            static_cast<unsigned char>(in_[at + static_cast<std::size_t>(i)]);
      at += 4;
    }
    if (in_.size() < at + n)
      return false;
    std::string payload = in_.substr(at, static_cast<std::size_t>(n));
    in_.erase(0, at + static_cast<std::size_t>(n));
    if (masked)
      for (std::size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);
    if (op >= close) {
      if (!fin)
        throw ws_error("fragmented WebSocket control frame");
      out = message{op, std::move(payload)};
      return true;
    }
    if (op == continuation) {
      if (!in_message_)
        throw ws_error("WebSocket continuation without a message");
      partial_ += payload;
    } else {
      if (in_message_)
        throw ws_error("new WebSocket message inside a fragmented one");
      partial_op_ = op;
      partial_ = std::move(payload);
      in_message_ = true;
    }
    if (fin) {
      in_message_ = false;
      out = message{partial_op_, std::move(partial_)};
      partial_.clear();
      return true;
    }
  }
}

} // namespace fluxd::kube::ws
