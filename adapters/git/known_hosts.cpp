#include "adapters/git/known_hosts.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "adapters/git/error.hpp"

namespace fluxd::git {

std::string base64_decode(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0)
    return {};
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0)
    return {};
  size_t pad = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it)
    ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string base64_encode(const std::string& bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string key_blob_type(const std::string& blob) {
  if (blob.size() < 4)
    return "unknown";
  auto b = reinterpret_cast<const unsigned char*>(blob.data());
  size_t len = (size_t{b[0]} << 24) | (size_t{b[1]} << 16) | (size_t{b[2]} << 8)
               | size_t{b[3]};
  if (len > blob.size() - 4)
    return "unknown";
  return blob.substr(4, len);
}

std::string key_fingerprint_sha256(const std::string& blob) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(blob.data()), blob.size(),
         digest);
  auto b64 = base64_encode(
      std::string{reinterpret_cast<char*>(digest), sizeof digest});
  while (!b64.empty() && b64.back() == '=')
    b64.pop_back();
  return "SHA256:" + b64;
}

namespace {

/// OpenSSH's match_pattern: `*` and `?` wildcards, case-insensitive.
bool wildcard_match(const char* p, const char* s) {
  for (;; ++p, ++s) {
    if (*p == '\0')
      return *s == '\0';
    if (*p == '*') {
      for (; *s; ++s)
        if (wildcard_match(p + 1, s))
          return true;
      return wildcard_match(p + 1, s);
    }
    if (*s == '\0')
      return false;
    if (*p != '?'
        && std::tolower(static_cast<unsigned char>(*p))
               != std::tolower(static_cast<unsigned char>(*s)))
      return false;
  }
}

bool hashed_match(const std::string& entry, const std::string& host_name) {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, host_name))
  auto second = entry.find('|', 3);
  if (second == std::string::npos)
    return false;
  auto salt = base64_decode(entry.substr(3, second - 3));
  auto want = base64_decode(entry.substr(second + 1));
  if (salt.empty() || want.empty())
    return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
       reinterpret_cast<const unsigned char*>(host_name.data()),
       host_name.size(), mac, &mac_len);
  return want == std::string{reinterpret_cast<char*>(mac), mac_len};
}

} // namespace

bool known_hosts_match(const std::string& patterns,
                       const std::string& host_name) {
  if (patterns.rfind("|1|", 0) == 0)
    return hashed_match(patterns, host_name);
  bool matched = false;
  std::stringstream in{patterns};
  std::string pat;
  while (std::getline(in, pat, ',')) {
    bool negated = !pat.empty() && pat[0] == '!';
    if (negated)
      pat.erase(0, 1);
    if (wildcard_match(pat.c_str(), host_name.c_str())) {
      if (negated)
        return false;
      matched = true;
    }
  }
  return matched;
}

known_hosts known_hosts::load(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    throw git_failure(error_kind::config,
                      "cannot read known_hosts file " + path
                          + " (set --git-known-hosts or create "
                            "$HOME/.ssh/known_hosts with ssh-keyscan)");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

known_hosts known_hosts::parse(const std::string& text, std::string origin) {
  known_hosts kh;
  kh.origin_ = std::move(origin);
  std::stringstream in{text};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::stringstream fields{line};
    known_host_entry e;
    e.line = number;
    std::string first;
    if (!(fields >> first) || first[0] == '#')
      continue;
    if (first[0] == '@') {
      e.marker = first;
      if (!(fields >> e.patterns))
        continue;
    } else {
      e.patterns = first;
    }
    std::string key_text;
    if (!(fields >> e.key_type >> key_text))
      continue;
    e.key = base64_decode(key_text);
    if (e.key.empty())
      continue;
    kh.entries_.push_back(std::move(e));
  }
  return kh;
}

void known_hosts::verify(const std::string& host_name,
                         const std::string& key_blob) const {
  auto offered = key_blob_type(key_blob);
  auto fp = key_fingerprint_sha256(key_blob);
  std::set<std::string> types_for_host;
  bool same_type_other_key = false;
  bool only_cert_authority = false;
  bool accepted = false;
  for (auto& e : entries_) {
    if (!known_hosts_match(e.patterns, host_name))
      continue;
    if (e.marker == "@revoked") {
      if (e.key == key_blob)
        throw git_failure(error_kind::host_key,
                          "host key " + fp + " of " + host_name
                              + " is marked @revoked in " + origin_ + " line "
                              + std::to_string(e.line));
      continue;
    }
    if (e.marker == "@cert-authority") {
      only_cert_authority = types_for_host.empty();
      continue;
    }
    types_for_host.insert(e.key_type);
    if (e.key == key_blob)
      accepted = true;
    else if (e.key_type == offered)
      same_type_other_key = true;
  }
  if (accepted)
    return;
  if (same_type_other_key)
    throw git_failure(error_kind::host_key,
                      "HOST KEY CHANGED for " + host_name
                          + ": the server offers " + offered + " " + fp
                          + ", which does not match " + origin_
                          + "; if the change is expected, replace "
                            "the entry (ssh-keyscan), else someone may be "
                            "intercepting the connection");
  if (!types_for_host.empty()) {
    std::string types;
    for (auto& t : types_for_host)
      types += (types.empty() ? "" : ", ") + t;
    throw git_failure(
        error_kind::host_key,
        "host key of " + host_name
            + " not accepted: the server "
              "offered "
            + offered + " " + fp + " but " + origin_ + " only has " + types
            + " for it (libssh2 1.10 prefers ECDSA over ed25519); "
              "add the server's "
            + offered + " key: ssh-keyscan -t " + offered + " " + host_name);
  }
  if (only_cert_authority)
    throw git_failure(error_kind::host_key,
                      "host " + host_name
                          + " is only trusted through "
                            "@cert-authority in "
                          + origin_
                          + ", which libssh2 1.10 does not support; add the "
                            "plain host key (ssh-keyscan "
                          + host_name + ")");
  throw git_failure(error_kind::host_key,
                    "unknown host " + host_name + ": no entry in " + origin_
                        + " (server offered " + offered + " " + fp
                        + "); add it with ssh-keyscan after checking the "
                          "fingerprint");
}

} // namespace fluxd::git
