#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <git2.h>

#include "adapters/git/url.hpp"

namespace fluxd::git {

struct network_deadline;

/// How to reach and authenticate to a remote (Flux v1's flags in brackets).
struct remote_options {
  std::string url; ///< [--git-url]
  /// Private key for ssh [--k8s-secret-volume-mount-path]/identity.
  std::string ssh_key_path = "/etc/fluxd/ssh/identity";
  /// Empty: $HOME/.ssh/known_hosts [--git-known-hosts].
  std::string known_hosts_path;
  /// https: a git-credential-store file (`https://user:token@host` lines).
  std::string credentials_file;
  /// https: CA bundle (PEM); empty: the system bundle.
  std::string ca_bundle;
  std::chrono::milliseconds timeout{
      std::chrono::seconds(20)}; ///< [--git-timeout]
  /// http(s) proxy. Empty: as git does, from the environment (`https_proxy`
  /// / `HTTPS_PROXY` for https, `http_proxy` / `HTTP_PROXY` for http,
  /// minus the hosts in `no_proxy` / `NO_PROXY`) or git's `http.proxy`;
  /// "none": never; else the proxy's URL. ssh and git:// never use one.
  std::string proxy;
};

/// One network operation (fetch, push, ls-remote) against a remote: owns
/// the libgit2 callbacks' state (ssh key, strict known_hosts check, https
/// credentials, attempt caps) and the deadline. While it lives, every
/// socket libgit2 opens on this thread obeys the deadline: connect and
/// reads time out, and a watchdog shuts the sockets down when the deadline
/// passes, which also stops libssh2 blocked inside a read.
class remote_session {
public:
  remote_session(const remote_options& opts, std::string operation);
  ~remote_session();
  remote_session(const remote_session&) = delete;
  remote_session& operator=(const remote_session&) = delete;

  git_remote_callbacks callbacks();
  git_fetch_options fetch_options();
  git_push_options push_options();
  /// Proxy as `remote_options::proxy` says (the strings live in this).
  git_proxy_options proxy_options();

  /// Throws the most precise git_failure for a failed libgit2 call: the one
  /// a callback recorded (host key, credentials), a timeout, or libgit2's.
  [[noreturn]] void fail(int rc, const std::string& what);
  void check(int rc, const std::string& what) {
    if (rc < 0)
      fail(rc, what);
  }

  /// (ref, server status) of every ref the server refused during a push.
  const std::vector<std::pair<std::string, std::string>>& rejected() const {
    return rejected_;
  }

  const remote_url& url() const { return url_; }
  const remote_options& options() const { return opts_; }

  // -- used by the libgit2 callbacks (C linkage trampolines) ---------------

  int on_credentials(git_credential** out, const char* username_from_url,
                     unsigned int allowed_types);
  int on_certificate(git_cert* cert, int valid, const char* host);
  int on_progress();
  int on_push_update(const char* refname, const char* status);

private:
  int record(int kind, std::string message);

  remote_options opts_;
  remote_url url_;
  std::string proxy_; ///< http(s) proxy URL in use, "" none
  std::string operation_;
  int credential_calls_ = 0;
  int recorded_kind_ = -1;
  std::string recorded_;
  std::vector<std::pair<std::string, std::string>> rejected_;
  std::unique_ptr<network_deadline> scope_;
};

/// True when the private key file holds an RSA key (libssh2 1.10 can only
/// sign with ssh-rsa/SHA-1, which OpenSSH >= 8.8 refuses by default).
bool is_rsa_key_file(const std::string& path);

/// Looks up `user:password` for `url` in a git-credential-store file.
/// Returns false when no line matches the scheme and host.
bool lookup_credentials(const std::string& file, const remote_url& url,
                        std::string& user, std::string& password);

} // namespace fluxd::git
