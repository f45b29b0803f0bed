#pragma once

#include "adapters/kube/config.hpp"

#include <chrono>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace fluxd::kube {

/// What goes on the wire for one request.
struct credential {
  std::string authorization; ///< full header value, empty for none
  std::string client_cert_pem; ///< from the kubeconfig or an exec plugin
  std::string client_key_pem;
  /// Changes whenever the client certificate changes, so pooled TLS
  /// connections made with the old one are dropped.
  std::uint64_t tls_generation = 0;
};

/// The status of an ExecCredential printed by a credential plugin.
struct exec_credential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expires;
};

/// Parses a plugin's stdout; `where` names the plugin in errors.
exec_credential parse_exec_credential(std::string_view out,
                                      const std::string& api_version,
                                      const std::string& where);

/// RFC 3339 (`2099-01-01T00:00:00Z`, fractions and offsets allowed).
std::optional<std::chrono::system_clock::time_point>
parse_rfc3339(std::string_view text);

/// Runs the plugin (stdin /dev/null, KUBERNETES_EXEC_INFO set) and parses
/// its answer. Throws config_error naming the command.
exec_credential run_exec_plugin(const exec_config& ex,
                                const rest_config& cluster,
                                std::chrono::milliseconds timeout);

/// Credentials for every request, thread-safe: a static token, a token file
/// re-read whenever it changes (projected tokens rotate), or an exec plugin
/// whose answer is cached until it expires or the server says 401.
class credential_source {
public:
  explicit credential_source(rest_config cfg);

  credential current();

  /// Called after a 401: forget cached plugin output and re-read files.
  /// Returns true when that may produce a different credential.
  bool invalidate();

  /// How many times the exec plugin ran (for tests and metrics).
  int exec_runs() const;

private:
  struct file_stamp {
    ino_t ino = 0;
    off_t size = -1;
    std::int64_t mtime_ns = 0;
    bool operator==(const file_stamp& o) const {
      return ino == o.ino && size == o.size && mtime_ns == o.mtime_ns;
    }
  };
  void refresh_token_file();
  void refresh_exec();

  rest_config cfg_;
  mutable std::mutex mtx_;
  std::string file_token_;
  file_stamp file_stamp_;
  std::optional<exec_credential> exec_cache_;
  std::uint64_t tls_generation_ = 0;
  int exec_runs_ = 0;
};

} // namespace fluxd::kube
