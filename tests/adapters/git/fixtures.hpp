#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

/// Real git servers and repositories for the git adapter tests.
namespace fluxd::test::gitfx {

/// Runs the git CLI with a fixed identity and no user config; throws
/// std::runtime_error with git's stderr when it fails.
std::string git(const std::vector<std::string>& args,
                const std::string& cwd = {},
                const std::map<std::string, std::string>& env = {});

/// A bare repository `<root>/srv/<name>.git` plus a work clone that the
/// test uses as "another user" of the repository.
class upstream {
public:
  upstream(const std::string& root, const std::string& name,
           const std::map<std::string, std::string>& files,
           const std::string& branch = "master");

  /// Writes files (empty content = delete), commits, pushes; returns SHA.
  std::string commit(const std::map<std::string, std::string>& files,
                     const std::string& message,
                     const std::vector<std::string>& extra_commit_args = {});
  /// The branch head in the bare repository.
  std::string head() const;
  std::string file_url() const { return "file://" + bare; }

  std::string root;
  std::string bare;
  std::string work;
  std::string branch;
};

/// ssh-keygen a key pair; returns the private key path.
std::string make_key(const std::string& dir, const std::string& name,
                     const std::string& type);

/// sshd (openssh-server) on 127.0.0.1 and a free high port, with its own
/// config, ed25519 + ECDSA host keys and authorized_keys.
class sshd_server {
public:
  sshd_server(const std::string& dir, const std::vector<std::string>& keys,
              int port = 0, const std::string& extra_config = {});
  int port() const { return port_; }
  /// known_hosts lines for every host key ("[127.0.0.1]:port type key").
  std::string known_hosts() const;
  /// ssh://<user>@127.0.0.1:<port><abs path>
  std::string url(const std::string& abs_path) const;
  void stop() { proc_.reset(); }

private:
  std::string dir_;
  int port_;
  std::unique_ptr<child_process> proc_;
};

/// `git daemon` serving `base` with push enabled.
class git_daemon {
public:
  explicit git_daemon(const std::string& base);
  std::string url(const std::string& repo) const;

private:
  int port_;
  std::unique_ptr<child_process> proc_;
};

/// A throwaway GNUPGHOME with one passphrase-less signing key.
class gnupg_home {
public:
  explicit gnupg_home(const std::string& dir, const std::string& uid);
  const std::string& path() const { return path_; }
  const std::string& fingerprint() const { return fpr_; }

private:
  std::string path_;
  std::string fpr_;
};

} // namespace fluxd::test::gitfx
