#include "adapters/kube/config.hpp"
#include "adapters/kube/errors.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fluxd::kube {

namespace {

std::string env_var(const config_options& opts, const std::string& name) {
  if (opts.env) {
    auto it = opts.env->find(name);
    return it == opts.env->end() ? std::string{} : it->second;
  }
  auto* v = std::getenv(name.c_str());
  return v ? v : "";
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::string trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start])))
    ++start;
  return s.substr(start);
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

} // namespace

rest_config in_cluster_config(const config_options& opts) {
  auto host = env_var(opts, "KUBERNETES_SERVICE_HOST");
  auto port = env_var(opts, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty())
    throw config_error("no kubeconfig found (--kubeconfig, KUBECONFIG, "
                       "~/.kube/config) and not in a cluster "
                       "(KUBERNETES_SERVICE_HOST/PORT unset)");
  rest_config cfg;
  cfg.origin = "in-cluster";
  bool ipv6 = host.find(':') != std::string::npos;
  cfg.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;
  const auto& dir = opts.service_account_dir;
  cfg.token_file = dir + "/token";
  std::string token;
  if (!read_file(cfg.token_file, token) || trimmed(token).empty())
    throw config_error("in-cluster: cannot read the service-account token "
                       + cfg.token_file);
  if (!read_file(dir + "/ca.crt", cfg.ca_pem))
    throw config_error("in-cluster: cannot read the service-account CA "
                       + dir + "/ca.crt");
  std::string ns;
  if (read_file(dir + "/namespace", ns))
    cfg.namespace_name = trimmed(ns);
  return cfg;
}

std::string base64_decode(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)))
      continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    int v = b64_value(c);
    if (v < 0 || padding > 0)
      throw std::invalid_argument("invalid base64");
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero padding of a well-formed encoding.
  if (bits >= 6 || padding > 2 || (buffer & ((1u << bits) - 1)) != 0)
    throw std::invalid_argument("invalid base64");
  return out;
}

std::string base64_encode(std::string_view data) {
  static const char* alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(data[i]) << 16)
                 | (static_cast<unsigned char>(data[i + 1]) << 8)
                 | static_cast<unsigned char>(data[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i + 1 == data.size()) {
    unsigned n = static_cast<unsigned char>(data[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == data.size()) {
    unsigned n = (static_cast<unsigned char>(data[i]) << 16)
                 | (static_cast<unsigned char>(data[i + 1]) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

} // namespace fluxd::kube
