#pragma once

#include <string>

#include <boost/json.hpp>
#include <httplib.h>

#include "tests/support/kube_emulator.hpp"

namespace fluxd::test {

/// A bare HTTPS client for the emulator's API: what kubectl cannot send
/// (malformed bodies, odd content types) and direct checks of semantics.
class api_client {
public:
  struct reply {
    int status = 0;
    std::string content_type;
    std::string body;
    boost::json::value json() const { return boost::json::parse(body); }
    /// `.reason` of a Status body, or "".
    std::string reason() const {
      auto v = json();
      auto* r = v.as_object().if_contains("reason");
      return r && r->is_string() ? std::string(r->as_string()) : "";
    }
  };

  explicit api_client(const kube_emulator& emu, bool with_token = true)
      : client_("127.0.0.1", emu.port()) {
    client_.set_ca_cert_path(emu.ca_path().c_str());
    client_.enable_server_certificate_verification(true);
    if (with_token)
      client_.set_bearer_token_auth(emu.token().c_str());
    client_.set_read_timeout(30, 0);
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true); // else Nagle adds 40 ms per body
  }

  reply get(const std::string& path) { return wrap(client_.Get(path.c_str())); }
  reply post(const std::string& path, const std::string& body,
             const std::string& type = "application/json") {
    return wrap(client_.Post(path.c_str(), body, type.c_str()));
  }
  reply put(const std::string& path, const std::string& body) {
    return wrap(client_.Put(path.c_str(), body, "application/json"));
  }
  reply patch(const std::string& path, const std::string& body,
              const std::string& type) {
    return wrap(client_.Patch(path.c_str(), body, type.c_str()));
  }
  reply del(const std::string& path, const std::string& body = {}) {
    return wrap(client_.Delete(path.c_str(), body, "application/json"));
  }
  httplib::SSLClient& raw() { return client_; }

private:
  static reply wrap(const httplib::Result& r) {
    if (!r)
      return {-1, {}, "transport error " + httplib::to_string(r.error())};
    return {r->status, r->get_header_value("Content-Type"), r->body};
  }

  httplib::SSLClient client_;
};

} // namespace fluxd::test
