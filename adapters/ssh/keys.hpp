#pragma once

#include <stdexcept>
#include <string>

/// SSH key pairs made and read in-process with OpenSSL (no ssh-keygen in
/// the image): the deploy key Flux v1 generates into its Secret, its
/// OpenSSH public key line and its fingerprints as `ssh-keygen -lv` shows.
namespace fluxd::ssh {

/// A key that cannot be generated, parsed or encoded; names the origin.
class key_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// [--ssh-keygen-type] and [--ssh-keygen-bits]; empty/0: ed25519 (RSA keys
/// cannot sign with rsa-sha2 through libssh2 1.10, so OpenSSH >= 8.8 servers
/// refuse them).
struct key_spec {
  std::string type = "ed25519"; ///< ed25519 | rsa | ecdsa
  int bits = 0;                 ///< rsa: 3072, ecdsa: 256 when 0
  std::string comment;          ///< written into the public key line
};

struct key_pair {
  /// The private key file: OpenSSH format for ed25519, traditional PEM
  /// for rsa/ecdsa (both read by libssh2's OpenSSL backend).
  std::string private_key;
  std::string blob;     ///< the public key in SSH wire format
  std::string comment;  ///< from the OpenSSH file or the spec
  std::string type;     ///< ssh-keygen's name: ED25519, RSA, ECDSA
  int bits = 0;         ///< ssh-keygen's size: 256, 3072, 384, ...
  /// `ssh-keygen -y` output: "<algorithm> <base64 blob>[ <comment>]\n".
  std::string public_line() const;
};

key_pair generate_key(const key_spec& spec);

/// Reads a private key file's text (OpenSSH or PEM, unencrypted); `origin`
/// names it in errors.
key_pair parse_private_key(const std::string& text, const std::string& origin);

struct fingerprint {
  std::string hash;      ///< "aa:bb:…" (md5) or unpadded base64 (sha256)
  std::string randomart; ///< the drunken-bishop box, newline-terminated
};

/// `algorithm` is "md5" or "sha256", as `ssh-keygen -l -v -E <algorithm>`.
fingerprint fingerprint_of(const key_pair& key, const std::string& algorithm);

/// OpenSSH's "drunken bishop" box for a raw digest, e.g. title
/// "ED25519 256" and hash_name "SHA256", newline-terminated.
std::string randomart(const std::string& digest, const std::string& title,
                      const std::string& hash_name);

std::string base64_encode(const std::string& bytes);
/// Throws key_error naming `origin` on characters outside the alphabet.
std::string base64_decode(const std::string& text, const std::string& origin);

} // namespace fluxd::ssh
