#pragma once

#include <string>
#include <vector>

namespace fluxd::git {

/// One line of an OpenSSH known_hosts file.
struct known_host_entry {
  std::string marker;   ///< "", "@cert-authority" or "@revoked"
  std::string patterns; ///< comma-separated, or one `|1|salt|hash`
  std::string key_type; ///< e.g. ssh-ed25519
  std::string key;      ///< the decoded key blob (wire format)
  int line = 0;
};

/// Strict host-key checking against a known_hosts file, as OpenSSH's
/// `StrictHostKeyChecking yes`: a key is accepted only when a plain entry
/// whose pattern matches the host carries exactly that key. Hashed entries
/// (`HashKnownHosts yes`) and `[host]:port` names are understood.
class known_hosts {
public:
  /// Reads and parses `path`; throws git_failure(config) naming the file
  /// when it cannot be read. Unparseable lines are skipped, as ssh does.
  static known_hosts load(const std::string& path);
  static known_hosts parse(const std::string& text, std::string origin);

  /// Throws git_failure(host_key) with a message that says what is wrong and
  /// what to do, unless `key_blob` is a known key for `host_name`
  /// (`host` or `[host]:port`).
  void verify(const std::string& host_name, const std::string& key_blob) const;

  const std::vector<known_host_entry>& entries() const { return entries_; }

private:
  std::vector<known_host_entry> entries_;
  std::string origin_;
};

/// True when `host_name` matches a known_hosts pattern list (wildcards,
/// negation, hashed `|1|salt|hash`).
bool known_hosts_match(const std::string& patterns,
                       const std::string& host_name);

/// The key type named inside a wire-format key blob ("ssh-ed25519", …).
std::string key_blob_type(const std::string& blob);

/// SHA256:… fingerprint of a key blob, as `ssh-keygen -l` prints it.
std::string key_fingerprint_sha256(const std::string& blob);

std::string base64_decode(const std::string& text);
std::string base64_encode(const std::string& bytes);

} // namespace fluxd::git
