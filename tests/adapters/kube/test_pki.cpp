#include "tests/adapters/kube/test_pki.hpp"

#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace fluxd::test {

namespace {

struct issued {
  X509* cert;
  EVP_PKEY* key;
};

std::string to_pem(X509* cert) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, cert);
  char* data;
  auto n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return out;
}

std::string to_pem(EVP_PKEY* key) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data;
  auto n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return out;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext)
    throw std::runtime_error("test_pki: bad extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

issued make_cert(const char* cn, const char* org, const issued* issuer,
                 bool ca, const char* san) {
  static long serial = 1;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * 30);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  if (org)
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(org),
                               -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1,
                             -1, 0);
  X509* issuer_cert = issuer ? issuer->cert : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  if (ca) {
    add_ext(cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert, issuer_cert, NID_basic_constraints, "CA:FALSE");
    add_ext(cert, issuer_cert, NID_ext_key_usage,
            san ? "serverAuth" : "clientAuth");
  }
  if (san)
    add_ext(cert, issuer_cert, NID_subject_alt_name, san);
  X509_sign(cert, issuer ? issuer->key : key, EVP_sha256());
  return {cert, key};
}

pem_pair release(issued i) {
  pem_pair p{to_pem(i.cert), to_pem(i.key)};
  X509_free(i.cert);
  EVP_PKEY_free(i.key);
  return p;
}

} // namespace

test_pki test_pki::make() {
  auto ca = make_cert("test-ca", nullptr, nullptr, true, nullptr);
  auto server = make_cert("kube-apiserver", nullptr, &ca, false,
                          "IP:127.0.0.1,DNS:localhost");
  auto client = make_cert("admin", "system:masters", &ca, false, nullptr);
  auto other = make_cert("other-ca", nullptr, nullptr, true, nullptr);
  auto other_client = make_cert("mallory", nullptr, &other, false, nullptr);
  test_pki pki;
  pki.server = release(server);
  pki.client = release(client);
  pki.other_client = release(other_client);
  pki.ca = release(ca);
  pki.other_ca = release(other);
  return pki;
}

} // namespace fluxd::test
