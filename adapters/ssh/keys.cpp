#include "adapters/ssh/keys.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

namespace fluxd::ssh {

namespace {

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct bio_free {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct bn_free {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using bio_ptr = std::unique_ptr<BIO, bio_free>;
using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;

std::string openssl_error() {
  auto code = ERR_get_error();
  ERR_clear_error();
  if (!code)
    return "unknown OpenSSL error";
  std::array<char, 256> buf{};
  ERR_error_string_n(code, buf.data(), buf.size());
  return buf.data();
}

[[noreturn]] void fail(const std::string& what) {
  throw key_error(what + ": " + openssl_error());
}

// -- SSH wire format (RFC 4251 §5) -------------------------------------------

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_string(std::string& out, const std::string& s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out += s;
}

/// Big-endian magnitude with a leading zero when the top bit is set.
void put_mpint(std::string& out, const BIGNUM* bn) {
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  if (!bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x80))
    bytes.insert(bytes.begin(), '\0');
  put_string(out, bytes);
}

class wire_reader {
public:
  wire_reader(const std::string& data, std::string origin, size_t at = 0)
      : data_(data), origin_(std::move(origin)), at_(at) {}

  std::uint32_t u32() {
    need(4);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v = (v << 8) | static_cast<unsigned char>(data_[at_++]);
    return v;
  }
  std::string string() {
    auto n = u32();
    need(n);
    auto s = data_.substr(at_, n);
    at_ += n;
    return s;
  }

private:
  void need(size_t n) {
    if (data_.size() - at_ < n)
      throw key_error(origin_ + ": truncated SSH key data");
  }
  const std::string& data_;
  std::string origin_;
  size_t at_;
};

/// Bits of a big-endian magnitude (leading zeros ignored), as BN_num_bits.
int magnitude_bits(const std::string& bytes) {
  size_t i = 0;
  while (i < bytes.size() && bytes[i] == '\0')
    ++i;
  if (i == bytes.size())
    return 0;
  int top = 0;
  for (auto b = static_cast<unsigned char>(bytes[i]); b; b >>= 1)
    ++top;
  return static_cast<int>((bytes.size() - i - 1) * 8) + top;
}

/// ssh-keygen's type name and size, from the public key blob.
void describe_blob(key_pair& k, const std::string& origin) {
  wire_reader r{k.blob, origin};
  auto algorithm = r.string();
  if (algorithm == "ssh-ed25519") {
    k.type = "ED25519";
    k.bits = 256;
  } else if (algorithm == "ssh-rsa") {
    r.string(); // e
    k.type = "RSA";
    k.bits = magnitude_bits(r.string());
  } else if (algorithm.rfind("ecdsa-sha2-nistp", 0) == 0) {
    k.type = "ECDSA";
    k.bits = std::stoi(algorithm.substr(16));
  } else {
    throw key_error(origin + ": unsupported SSH key type " + algorithm);
  }
}

std::string bn_param(EVP_PKEY* p, const char* name) {
  BIGNUM* raw = nullptr;
  if (!EVP_PKEY_get_bn_param(p, name, &raw))
    fail(std::string("reading the key's ") + name);
  bn_ptr bn{raw};
  std::string out;
  put_mpint(out, bn.get());
  return out;
}

/// The SSH public key blob of an OpenSSL key.
std::string blob_of(EVP_PKEY* p, const std::string& origin) {
  std::string blob;
  switch (EVP_PKEY_get_base_id(p)) {
  case EVP_PKEY_ED25519: {
    std::string pub(32, '\0');
    size_t n = pub.size();
    if (!EVP_PKEY_get_raw_public_key(
            p, reinterpret_cast<unsigned char*>(pub.data()), &n))
      fail(origin + ": reading the ed25519 public key");
    put_string(blob, "ssh-ed25519");
    put_string(blob, pub);
    return blob;
  }
  case EVP_PKEY_RSA:
    put_string(blob, "ssh-rsa");
    blob += bn_param(p, OSSL_PKEY_PARAM_RSA_E);
    blob += bn_param(p, OSSL_PKEY_PARAM_RSA_N);
    return blob;
  case EVP_PKEY_EC: {
    std::array<char, 64> group{};
    if (!EVP_PKEY_get_utf8_string_param(p, OSSL_PKEY_PARAM_GROUP_NAME,
                                        group.data(), group.size(), nullptr))
      fail(origin + ": reading the ECDSA curve");
    std::string curve = group.data();
    std::string nist = curve == "prime256v1"  ? "nistp256"
                       : curve == "secp384r1" ? "nistp384"
                       : curve == "secp521r1" ? "nistp521"
                                              : "";
    if (nist.empty())
      throw key_error(origin + ": unsupported ECDSA curve " + curve);
    std::string point(200, '\0');
    size_t n = 0;
    if (!EVP_PKEY_get_octet_string_param(
            p, OSSL_PKEY_PARAM_PUB_KEY,
            reinterpret_cast<unsigned char*>(point.data()), point.size(), &n))
      fail(origin + ": reading the ECDSA public point");
    point.resize(n);
    put_string(blob, "ecdsa-sha2-" + nist);
    put_string(blob, nist);
    put_string(blob, point);
    return blob;
  }
  default:
    throw key_error(origin + ": unsupported private key type");
  }
}

const std::string openssh_begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
const std::string openssh_end = "-----END OPENSSH PRIVATE KEY-----";
const std::string openssh_magic{"openssh-key-v1\0", 15};

/// PROTOCOL.key: one unencrypted ed25519 key, wrapped at 70 columns.
std::string openssh_ed25519(const std::string& pub, const std::string& seed,
                            const std::string& blob,
                            const std::string& comment) {
  std::uint32_t check = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&check), sizeof check) != 1)
    fail("random check bytes for the private key");
  std::string priv;
  put_u32(priv, check);
  put_u32(priv, check);
  put_string(priv, "ssh-ed25519");
  put_string(priv, pub);
  put_string(priv, seed + pub);
  put_string(priv, comment);
  for (char pad = 1; priv.size() % 8 != 0; ++pad)
    priv.push_back(pad);
  std::string body = openssh_magic;
  put_string(body, "none");
  put_string(body, "none");
  put_string(body, "");
  put_u32(body, 1);
  put_string(body, blob);
  put_string(body, priv);
  auto b64 = base64_encode(body);
  std::string out = openssh_begin + "\n";
  for (size_t at = 0; at < b64.size(); at += 70)
    out += b64.substr(at, 70) + "\n";
  return out + openssh_end + "\n";
}

key_pair parse_openssh(const std::string& text, const std::string& origin) {
  auto from = text.find(openssh_begin) + openssh_begin.size();
  auto to = text.find(openssh_end, from);
  if (to == std::string::npos)
    throw key_error(origin + ": OpenSSH private key has no END line");
  std::string b64;
  for (size_t i = from; i < to; ++i)
    if (!std::isspace(static_cast<unsigned char>(text[i])))
      b64.push_back(text[i]);
  auto body = base64_decode(b64, origin);
  if (body.compare(0, openssh_magic.size(), openssh_magic) != 0)
    throw key_error(origin + ": not an openssh-key-v1 private key");
  wire_reader r{body, origin, openssh_magic.size()};
  auto cipher = r.string();
  r.string(); // kdf name
  r.string(); // kdf options
  if (r.u32() != 1)
    throw key_error(origin + ": OpenSSH private key file holds several keys");
  key_pair k;
  k.private_key = text;
  k.blob = r.string();
  describe_blob(k, origin);
  if (cipher != "none")
    throw key_error(origin + ": the private key is encrypted (" + cipher
                    + "); fluxd needs a key without a passphrase");
  auto priv = r.string();
  wire_reader p{priv, origin};
  if (p.u32() != p.u32())
    throw key_error(origin + ": corrupt OpenSSH private key (check bytes)");
  p.string(); // the algorithm, known from the blob
  int fields = k.type == "ED25519" ? 2 : k.type == "RSA" ? 6 : 3;
  for (int i = 0; i < fields; ++i)
    p.string();
  k.comment = p.string();
  return k;
}

int pem_no_passphrase(char*, int, int, void*) { return -1; }

} // namespace

std::string key_pair::public_line() const {
  wire_reader r{blob, "public key"};
  auto line = r.string() + " " + base64_encode(blob);
  if (!comment.empty())
    line += " " + comment;
  return line + "\n";
}

key_pair generate_key(const key_spec& spec) {
  auto type = spec.type.empty() ? std::string("ed25519") : spec.type;
  key_pair k;
  k.comment = spec.comment;
  if (type == "ed25519") {
    pkey_ptr p{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")};
    if (!p)
      fail("generating an ed25519 key");
    std::string pub(32, '\0'), seed(32, '\0');
    size_t n = 32, m = 32;
    if (!EVP_PKEY_get_raw_public_key(
            p.get(), reinterpret_cast<unsigned char*>(pub.data()), &n)
        || !EVP_PKEY_get_raw_private_key(
            p.get(), reinterpret_cast<unsigned char*>(seed.data()), &m))
      fail("reading the generated ed25519 key");
    k.blob = blob_of(p.get(), "generated key");
    k.private_key = openssh_ed25519(pub, seed, k.blob, spec.comment);
  } else if (type == "rsa" || type == "ecdsa") {
    pkey_ptr p;
    if (type == "rsa") {
      int bits = spec.bits ? spec.bits : 3072;
      if (bits < 2048 || bits > 16384)
        throw key_error("--ssh-keygen-bits " + std::to_string(bits)
                        + ": RSA keys need 2048 to 16384 bits");
      p.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                                static_cast<size_t>(bits)));
    } else {
      int bits = spec.bits ? spec.bits : 256;
      const char* curve = bits == 256   ? "P-256"
                          : bits == 384 ? "P-384"
                          : bits == 521 ? "P-521"
                                        : nullptr;
      if (!curve)
        throw key_error("--ssh-keygen-bits " + std::to_string(bits)
                        + ": ECDSA keys are 256, 384 or 521 bits");
      p.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
    }
    if (!p)
      fail("generating an " + type + " key");
    bio_ptr out{BIO_new(BIO_s_mem())};
    if (!PEM_write_bio_PrivateKey_traditional(out.get(), p.get(), nullptr,
                                              nullptr, 0, nullptr, nullptr))
      fail("writing the " + type + " private key");
    char* data = nullptr;
    auto len = BIO_get_mem_data(out.get(), &data);
    k.private_key.assign(data, static_cast<size_t>(len));
    k.blob = blob_of(p.get(), "generated key");
  } else {
    throw key_error("--ssh-keygen-type " + type
                    + ": fluxd generates ed25519, rsa or ecdsa keys");
  }
  describe_blob(k, "generated key");
  return k;
}

key_pair parse_private_key(const std::string& text,
                           const std::string& origin) {
  if (text.find(openssh_begin) != std::string::npos)
    return parse_openssh(text, origin);
  bio_ptr in{BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))};
  pkey_ptr p{
      PEM_read_bio_PrivateKey(in.get(), nullptr, pem_no_passphrase, nullptr)};
  if (!p)
    fail(origin + ": not a readable (unencrypted PEM or OpenSSH) private key");
  key_pair k;
  k.private_key = text;
  k.blob = blob_of(p.get(), origin);
  describe_blob(k, origin);
  return k;
}

fingerprint fingerprint_of(const key_pair& key, const std::string& algorithm) {
  const EVP_MD* md = algorithm == "md5"      ? EVP_md5()
                     : algorithm == "sha256" ? EVP_sha256()
                                             : nullptr;
  if (!md)
    throw key_error("fingerprint algorithm " + algorithm
                    + ": only md5 and sha256");
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int n = 0;
  if (!EVP_Digest(key.blob.data(), key.blob.size(), digest.data(), &n, md,
                  nullptr))
    fail("hashing the public key");
  std::string raw(reinterpret_cast<char*>(digest.data()), n);
  fingerprint f;
  if (algorithm == "md5") {
    static const char* hex = "0123456789abcdef";
    for (unsigned char c : raw) {
      if (!f.hash.empty())
        f.hash += ':';
      f.hash += hex[c >> 4];
      f.hash += hex[c & 15];
    }
  } else {
    f.hash = base64_encode(raw);
    while (!f.hash.empty() && f.hash.back() == '=')
      f.hash.pop_back();
  }
  f.randomart = randomart(raw, key.type + " " + std::to_string(key.bits),
                          algorithm == "md5" ? "MD5" : "SHA256");
  return f;
}

std::string randomart(const std::string& digest, const std::string& title,
                      const std::string& hash_name) {
  // The "drunken bishop" of OpenSSH's sshkey.c: a 17x9 board walked two
  // bits at a time from its centre; visit counts pick the symbols.
  constexpr int width = 17, height = 9;
  const std::string symbols = " .o+=*BOX@%&#/^SE";
  const int top = static_cast<int>(symbols.size()) - 1; // 'E'
  std::array<std::array<int, height>, width> board{};
  int x = width / 2, y = height / 2;
  for (unsigned char byte : digest) {
    for (int step = 0; step < 4; ++step, byte >>= 2) {
      x = std::clamp(x + ((byte & 1) ? 1 : -1), 0, width - 1);
      y = std::clamp(y + ((byte & 2) ? 1 : -1), 0, height - 1);
      if (board[x][y] < top - 2)
        ++board[x][y];
    }
  }
  board[width / 2][height / 2] = top - 1; // 'S'
  board[x][y] = top;                      // 'E'
  auto border = [&](std::string label) {
    if (label.size() > static_cast<size_t>(width))
      label.clear();
    auto left = (width - static_cast<int>(label.size())) / 2;
    std::string line = "+" + std::string(static_cast<size_t>(left), '-')
                       + label;
    line += std::string(static_cast<size_t>(width + 1) - line.size(), '-');
    return line + "+\n";
  };
  std::string out = border("[" + title + "]");
  for (int row = 0; row < height; ++row) {
    out += '|';
    for (int col = 0; col < width; ++col)
      out += symbols[static_cast<size_t>(std::min(board[col][row], top))];
    out += "|\n";
  }
  return out + border("[" + hash_name + "]");
}

std::string base64_encode(const std::string& bytes) {
  static const char* alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16)
                      | (static_cast<unsigned char>(bytes[i + 1]) << 8)
                      | static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out += alphabet[(v >> s) & 63];
  }
  if (auto rest = bytes.size() - i) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2)
      v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(const std::string& text, const std::string& origin) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else if (std::isspace(static_cast<unsigned char>(c)))
      continue;
    else
      throw key_error(origin + ": invalid base64");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

} // namespace fluxd::ssh
