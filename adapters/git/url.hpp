#pragma once

#include <string>

namespace fluxd::git {

/// A git remote URL taken apart, as far as auth and host-key checks need.
/// Accepts `ssh://[user@]host[:port]/path`, scp-like `[user@]host:path`,
/// `http(s)://[user[:password]@]host[:port]/path`, `git://…` and `file://…`
/// (or an absolute local path).
struct remote_url {
  enum class scheme_t { ssh, https, http, git, file };

  scheme_t scheme = scheme_t::file;
  std::string user;     ///< empty when not given
  std::string password; ///< https only; never logged
  std::string host;
  int port = 0; ///< 0 when not given (the scheme's default)
  std::string path;
  std::string original;

  /// Throws git_failure(config) naming the URL (without password).
  static remote_url parse(const std::string& url);

  /// The URL without the password, for logs, errors and the API.
  std::string sanitized() const;

  /// The URL handed to libgit2: the original one without the password
  /// (credentials travel through the credentials callback instead).
  std::string for_libgit2() const;

  /// `host` for port 22 / default, else `[host]:port` (known_hosts syntax).
  std::string known_hosts_name() const;

  bool is_network() const { return scheme != scheme_t::file; }
};

/// Removes a password from any URL-looking text (for error messages).
std::string strip_password(const std::string& url);

} // namespace fluxd::git
