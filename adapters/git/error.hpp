#pragma once

#include <stdexcept>
#include <string>

namespace fluxd::git {

/// What went wrong, so that callers can decide between retry, re-clone and
/// report without parsing messages.
enum class error_kind {
  other,
  unreachable,      ///< DNS, refused, reset: the server cannot be reached
  timeout,          ///< --git-timeout ran out
  auth,             ///< key or credentials refused
  host_key,         ///< unknown or changed ssh host key, untrusted TLS cert
  branch_missing,   ///< the configured branch does not exist
  path_missing,     ///< a --git-path is not in the tree
  not_found,        ///< a revision, tag or note is not there
  corrupt,          ///< the local repository is damaged: re-clone
  non_fast_forward, ///< push rejected because the branch moved
  push_rejected,    ///< push refused for another reason (hook, permission)
  signature,        ///< a signature could not be made or does not verify
  config,           ///< bad URL, unreadable key file, bad option
};

const char* to_string(error_kind kind);

/// Every failure of the git adapter. The message names the URL (without
/// password), path or revision at fault and, where we know it, what to do.
class git_failure : public std::runtime_error {
public:
  git_failure(error_kind kind, const std::string& what)
      : std::runtime_error(what), kind_(kind) {}

  error_kind kind() const { return kind_; }

private:
  error_kind kind_;
};

/// libgit2's last error text (or "unknown libgit2 error").
std::string last_libgit2_error();

/// Throws git_failure when `rc < 0`: "<context>: <libgit2 message>". The kind
/// is guessed from libgit2's error class and code unless `kind` is given.
void check(int rc, const std::string& context);
void check(int rc, error_kind kind, const std::string& context);

/// Classifies a libgit2 failure from its code and class.
error_kind classify(int rc, int error_class, const std::string& message);

} // namespace fluxd::git
