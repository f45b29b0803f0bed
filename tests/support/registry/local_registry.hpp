#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace fluxd::test {

/// Debian's docker-registry (Distribution 2.8) on 127.0.0.1, storing in a
/// temp dir, in one of three auth modes. Stopped on scope exit.
class local_registry {
public:
  enum class auth_mode { none, htpasswd, token };

  struct options {
    auth_mode auth = auth_mode::none;
    /// htpasswd users (bcrypt-hashed here).
    std::map<std::string, std::string> users;
    /// token mode: the token server's realm and signing certificate.
    std::string token_realm;
    std::string token_cert;
  };

  explicit local_registry(options opts);
  local_registry() : local_registry(options{}) {}
  ~local_registry();

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + host(); }
  int port() const { return port_; }
  const temp_dir& dir() const { return dir_; }

private:
  temp_dir dir_;
  int port_ = 0;
  std::unique_ptr<child_process> proc_;
};

/// One image to put in an OCI layout: a tag, its config `created` and labels.
struct test_image {
  std::string tag;
  std::string created; ///< RFC 3339, empty to omit the field
  std::map<std::string, std::string> labels;
};

/// A multi-arch index under one tag: one image per "os/arch[/variant]".
struct test_index {
  std::string tag;
  std::vector<std::pair<std::string, test_image>> platforms;
};

/// Writes an OCI image layout (oci-layout, index.json, blobs) by hand.
void write_oci_layout(const std::string& dir,
                      const std::vector<test_image>& images,
                      const std::vector<test_index>& indexes = {});

/// `skopeo copy oci:<dir>:<tag> docker://<host>/<repo>:<tag>`; `all` for an
/// index, `docker_format` for Docker schema 2 / manifest list instead of OCI.
/// Throws std::runtime_error with skopeo's stderr on failure.
void skopeo_push(const std::string& layout_dir, const std::string& tag,
                 const std::string& host, const std::string& repo,
                 bool all = false, bool docker_format = false,
                 const std::string& creds = "");

/// Pushes single-platform images of `repo` to `host`: one per (tag, created).
void push_tags(const std::string& host, const std::string& repo,
               const std::vector<std::pair<std::string, std::string>>& tags);

} // namespace fluxd::test
