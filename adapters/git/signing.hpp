#pragma once

#include <string>
#include <vector>

namespace fluxd::git {

/// Outcome of checking one OpenPGP signature, in git's `%G?` letters so that
/// logs and the API read as Flux v1's did.
struct signature_check {
  char status = 'N';       ///< G good+valid, U good/unknown validity, B bad,
                           ///< X/Y expired sig/key, E cannot check, N none
  std::string fingerprint; ///< signer's key fingerprint (when known)

  bool verified() const { return status == 'G'; }
  /// The long key ID (last 16 hex digits), what git's `%GK` shows.
  std::string key_id() const {
    return fingerprint.size() > 16 ? fingerprint.substr(fingerprint.size() - 16)
                                   : fingerprint;
  }
};

/// OpenPGP through gpgme. Chosen over running `gpg` ourselves because
/// gpgme gives typed verification results (status, validity, fingerprint)
/// instead of status-fd text to parse, takes data as memory buffers (no
/// temp files for commit bodies), and keeps one well-tested code path for
/// the keyring in GNUPGHOME. It still drives the installed gpg engine.
class openpgp {
public:
  /// `home`: the GnuPG home; empty means $GNUPGHOME or ~/.gnupg.
  explicit openpgp(std::string home = {});

  /// An ASCII-armored detached signature of `data` made with `key_id`
  /// (fingerprint, key ID or user ID). Throws git_failure(signature) naming
  /// the key when it is missing or needs a passphrase.
  std::string sign(const std::string& data, const std::string& key_id) const;

  /// Checks an armored detached signature over `data`.
  signature_check verify(const std::string& data,
                         const std::string& signature) const;

  /// --git-gpg-key-import: imports every regular file of each path (a
  /// file, or a directory whose files are taken without recursing). With
  /// `trust_ultimately` (verification on) each imported key gets ultimate
  /// owner-trust, as Flux v1 does. Returns the imported fingerprints;
  /// files that fail to import are listed in `errors` (not fatal).
  std::vector<std::string>
  import_keys(const std::vector<std::string>& paths, bool trust_ultimately,
              std::vector<std::string>* errors = nullptr) const;

  const std::string& home() const { return home_; }

private:
  std::string home_;
};

} // namespace fluxd::git
