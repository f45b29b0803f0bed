#include "tests/support/registry/token_server.hpp"

#include <chrono>
#include <stdexcept>

#include <boost/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "adapters/registry/credentials.hpp"

namespace fluxd::test {

namespace {

std::string base64url(std::string_view bytes) {
  auto s = registry::base64_encode(bytes);
  while (!s.empty() && s.back() == '=')
    s.pop_back();
  for (auto& c : s)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

std::string base32(const unsigned char* data, size_t n) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    buffer = buffer << 8 | data[i];
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0)
    out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

/// libtrust's key ID: SHA-256 of the DER SubjectPublicKeyInfo, first 240
/// bits, base32, in colon-separated groups of four.
std::string libtrust_kid(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  unsigned char md[32];
  unsigned md_len = 0;
  EVP_Digest(der, static_cast<size_t>(len), md, &md_len, EVP_sha256(),
             nullptr);
  OPENSSL_free(der);
  auto s = base32(md, 30);
  std::string out;
  for (size_t i = 0; i < s.size(); i += 4)
    out += (i ? ":" : "") + s.substr(i, 4);
  return out;
}

} // namespace

struct token_server::keys {
  EVP_PKEY* key = nullptr;
  std::string kid;
  ~keys() { EVP_PKEY_free(key); }

  std::string sign(const std::string& input) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx, nullptr, &len,
                   reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    return sig;
  }
};

token_server::token_server(std::string cert_path,
                           std::map<std::string, std::string> users,
                           int expires_in_seconds)
  : cert_path_(std::move(cert_path)),
    users_(std::move(users)),
    expires_in_(expires_in_seconds),
    keys_(std::make_unique<keys>()) {
  keys_->key = EVP_RSA_gen(2048);
  if (!keys_->key)
    throw std::runtime_error("token_server: RSA key generation failed");
  keys_->kid = libtrust_kid(keys_->key);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, keys_->key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("token"),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, keys_->key, EVP_sha256());
  FILE* f = std::fopen(cert_path_.c_str(), "w");
  if (!f)
    throw std::runtime_error("token_server: cannot write " + cert_path_);
  PEM_write_X509(f, cert);
  std::fclose(f);
  X509_free(cert);

  server_.server().Get("/token", [this](const httplib::Request& req,
                                        httplib::Response& res) {
    ++requests_;
    std::string subject;
    if (req.has_header("Authorization")) {
      auto h = req.get_header_value("Authorization");
      if (h.rfind("Basic ", 0) != 0) {
        res.status = 401;
        return;
      }
      auto plain = registry::base64_decode(h.substr(6));
      auto colon = plain.find(':');
      auto user = plain.substr(0, colon);
      auto it = users_.find(user);
      if (colon == std::string::npos || it == users_.end()
          || it->second != plain.substr(colon + 1)) {
        res.status = 401;
        res.set_content(R"({"details":"bad credentials"})",
                        "application/json");
        return;
      }
      subject = user;
    }
    boost::json::array access;
    auto scopes = req.get_param_value_count("scope");
    for (size_t i = 0; i < scopes; ++i) {
      auto scope = req.get_param_value("scope", i);
      auto first = scope.find(':');
      auto last = scope.rfind(':');
      if (first == std::string::npos || first == last)
        continue;
      boost::json::array actions;
      auto wanted = scope.substr(last + 1);
      for (size_t p = 0; p <= wanted.size();) {
        auto comma = wanted.find(',', p);
        auto action = wanted.substr(p, comma - p);
        if (action == "pull" || !subject.empty())
          actions.emplace_back(action);
        if (comma == std::string::npos)
          break;
        p = comma + 1;
      }
      access.push_back(boost::json::object{
        {"type", scope.substr(0, first)},
        {"name", scope.substr(first + 1, last - first - 1)},
        {"actions", std::move(actions)}});
    }
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    boost::json::object header{
      {"alg", "RS256"}, {"typ", "JWT"}, {"kid", keys_->kid}};
    boost::json::object claims{{"iss", issuer},
                               {"sub", subject},
                               {"aud", service},
                               {"exp", now + expires_in_},
                               {"nbf", now - 10},
                               {"iat", now},
                               {"jti", std::to_string(requests_.load())},
                               {"access", std::move(access)}};
    auto input = base64url(boost::json::serialize(header)) + "."
                 + base64url(boost::json::serialize(claims));
    auto jwt = input + "." + base64url(keys_->sign(input));
    boost::json::object body{{"token", jwt}, {"expires_in", expires_in_}};
    res.set_content(boost::json::serialize(body), "application/json");
  });
  server_.start();
}

token_server::~token_server() {
  server_.stop();
}

} // namespace fluxd::test
