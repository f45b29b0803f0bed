#include "tests/adapters/git/fixtures.hpp"

#include <filesystem>
#include <pwd.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace fluxd::test::gitfx {

std::string git(const std::vector<std::string>& args, const std::string& cwd,
                const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv{"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  child_process::options opts;
  opts.cwd = cwd;
  opts.env = {{"GIT_CONFIG_NOSYSTEM", "1"},
              {"GIT_CONFIG_GLOBAL", "/dev/null"},
              {"GIT_AUTHOR_NAME", "Other User"},
              {"GIT_AUTHOR_EMAIL", "other@example.com"},
              {"GIT_COMMITTER_NAME", "Other User"},
              {"GIT_COMMITTER_EMAIL", "other@example.com"},
              {"GIT_TERMINAL_PROMPT", "0"}};
  for (auto& [k, v] : env)
    opts.env[k] = v;
  auto r = run(argv, std::chrono::seconds(30), opts);
  if (r.status != 0) {
    std::string cmd;
    for (auto& a : argv)
      cmd += a + " ";
    throw std::runtime_error(cmd + "failed: " + r.err);
  }
  auto out = r.out;
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

upstream::upstream(const std::string& root_dir, const std::string& name,
                   const std::map<std::string, std::string>& files,
                   const std::string& branch_name)
    : root(root_dir), bare(root_dir + "/srv/" + name + ".git"),
      work(root_dir + "/work-" + name), branch(branch_name) {
  fs::create_directories(root + "/srv");
  git({"init", "-q", "--bare", "-b", branch, bare});
  git({"init", "-q", "-b", branch, work});
  git({"remote", "add", "origin", bare}, work);
  commit(files, "Initial commit");
}

std::string upstream::commit(const std::map<std::string, std::string>& files,
                             const std::string& message,
                             const std::vector<std::string>& extra) {
  for (auto& [path, content] : files) {
    auto full = work + "/" + path;
    if (content.empty()) {
      fs::remove(full);
      continue;
    }
    write_file(full, content);
  }
  git({"add", "-A"}, work);
  std::vector<std::string> args{"commit", "-q", "--allow-empty", "-m", message};
  args.insert(args.end(), extra.begin(), extra.end());
  git(args, work);
  git({"push", "-q", "origin", "HEAD:refs/heads/" + branch}, work);
  return git({"rev-parse", "HEAD"}, work);
}

std::string upstream::head() const {
  return git({"--git-dir", bare, "rev-parse", "refs/heads/" + branch});
}

std::string make_key(const std::string& dir, const std::string& name,
                     const std::string& type) {
  fs::create_directories(dir);
  auto path = dir + "/" + name;
  std::vector<std::string> argv{"ssh-keygen", "-q", "-t", type,
                                "-N",         "",   "-f", path};
  if (type == "rsa")
    argv.insert(argv.end(), {"-b", "2048"});
  auto r = run(argv);
  if (r.status != 0)
    throw std::runtime_error("ssh-keygen failed: " + r.err);
  return path;
}

sshd_server::sshd_server(const std::string& dir,
                         const std::vector<std::string>& keys, int port,
                         const std::string& extra_config)
    : dir_(dir), port_(port ? port : free_port()) {
  fs::create_directories(dir_);
  ::mkdir("/run/sshd", 0755); // privilege separation dir (root only)
  if (!fs::exists(dir_ + "/host_ed25519"))
    make_key(dir_, "host_ed25519", "ed25519");
  if (!fs::exists(dir_ + "/host_ecdsa"))
    make_key(dir_, "host_ecdsa", "ecdsa");
  std::string authorized;
  for (auto& k : keys)
    authorized += read_file(k + ".pub");
  write_file(dir_ + "/authorized_keys", authorized);
  std::string config = "Port " + std::to_string(port_)
                       + "\nListenAddress 127.0.0.1\n"
                         "HostKey "
                       + dir_
                       + "/host_ed25519\n"
                         "HostKey "
                       + dir_
                       + "/host_ecdsa\n"
                         "PidFile "
                       + dir_
                       + "/sshd.pid\n"
                         "AuthorizedKeysFile "
                       + dir_
                       + "/authorized_keys\n"
                         "StrictModes no\nUsePAM no\n"
                         "PubkeyAuthentication yes\n"
                         "PasswordAuthentication no\n"
                         "KbdInteractiveAuthentication no\n"
                         "PermitRootLogin prohibit-password\n"
                         "LogLevel VERBOSE\n"
                       + extra_config;
  write_file(dir_ + "/sshd_config", config);
  proc_ = std::make_unique<child_process>(std::vector<std::string>{
      "/usr/sbin/sshd", "-D", "-e", "-f", dir_ + "/sshd_config"});
  if (!wait_for_port(port_, std::chrono::seconds(10)))
    throw std::runtime_error("sshd did not start: " + proc_->stderr_text());
}

std::string sshd_server::known_hosts() const {
  std::string out;
  for (auto name : {"host_ed25519", "host_ecdsa"}) {
    auto pub = read_file(dir_ + "/" + name + ".pub");
    auto type_end = pub.find(' ');
    auto key_end = pub.find(' ', type_end + 1);
    out += "[127.0.0.1]:" + std::to_string(port_) + " " + pub.substr(0, key_end)
           + "\n";
  }
  return out;
}

std::string sshd_server::url(const std::string& abs_path) const {
  auto pw = ::getpwuid(::getuid());
  return "ssh://" + std::string{pw ? pw->pw_name : "root"}
         + "@127.0.0.1:" + std::to_string(port_) + abs_path;
}

git_daemon::git_daemon(const std::string& base) : port_(free_port()) {
  proc_ = std::make_unique<child_process>(std::vector<std::string>{
      "git", "daemon", "--reuseaddr", "--base-path=" + base, "--export-all",
      "--enable=receive-pack", "--listen=127.0.0.1",
      "--port=" + std::to_string(port_), base});
  if (!wait_for_port(port_, std::chrono::seconds(10)))
    throw std::runtime_error("git daemon did not start: "
                             + proc_->stderr_text());
}

std::string git_daemon::url(const std::string& repo) const {
  return "git://127.0.0.1:" + std::to_string(port_) + "/" + repo;
}

gnupg_home::gnupg_home(const std::string& dir, const std::string& uid)
    : path_(dir) {
  fs::create_directories(path_);
  fs::permissions(path_, fs::perms::owner_all);
  child_process::options opts;
  opts.env["GNUPGHOME"] = path_;
  auto r = run({"gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid,
                "ed25519", "sign", "never"},
               std::chrono::seconds(30), opts);
  if (r.status != 0)
    throw std::runtime_error("gpg key generation failed: " + r.err);
  r = run({"gpg", "--batch", "--with-colons", "--list-secret-keys", uid},
          std::chrono::seconds(30), opts);
  auto at = r.out.find("\nfpr:");
  if (at == std::string::npos)
    throw std::runtime_error("no fingerprint for " + uid + ": " + r.out);
  auto start = r.out.find_first_not_of(':', at + 5);
  fpr_ = r.out.substr(start, r.out.find(':', start) - start);
}

} // namespace fluxd::test::gitfx
