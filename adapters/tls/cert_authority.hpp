#pragma once

#include <stdexcept>
#include <string>
#include <vector>

/// A small certificate authority on OpenSSL: enough to serve HTTPS on
/// loopback with certificates that Go and OpenSSL clients verify, and to mint
/// client certificates for TLS client authentication.
namespace fluxd::tls {

/// Thrown when OpenSSL fails; the message names the step that failed.
class tls_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A certificate and its private key, both PEM.
struct cert_and_key {
  std::string cert_pem;
  std::string key_pem;
};

/// What a certificate says about its holder.
struct cert_request {
  std::string common_name;
  std::vector<std::string> organizations; ///< Kubernetes maps O to groups
  std::vector<std::string> dns_names;     ///< subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  ///< subjectAltName IP entries
  bool server = false;                    ///< extendedKeyUsage serverAuth
  bool client = false;                    ///< extendedKeyUsage clientAuth
  int valid_days = 3650;
};

/// A self-signed CA certificate with an ECDSA P-256 key.
cert_and_key make_ca(const std::string& common_name, int valid_days = 3650);

/// A leaf certificate for `req`, signed by `ca`, with a fresh P-256 key.
cert_and_key issue(const cert_and_key& ca, const cert_request& req);

/// Base64 (standard alphabet, no line breaks), as kubeconfig `*-data` wants.
std::string base64_encode(const std::string& bytes);

} // namespace fluxd::tls
