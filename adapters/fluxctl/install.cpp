#include "adapters/fluxctl/install.hpp"

#include <fstream>

#include "adapters/install/manifests.hpp"

namespace fluxd::fluxctl {

void install_flags(flag_set& f) {
  f.add("git-url", 0, flag_set::kind::string, "",
        "URL of the Git repository to be used by Flux, e.g. "
        "git@github.com:<your username>/flux-get-started");
  f.add("git-branch", 0, flag_set::kind::string, "master",
        "Git branch to be used by Flux");
  f.add("git-path", 0, flag_set::kind::slice, "",
        "relative paths within the Git repo for Flux to locate Kubernetes "
        "manifests");
  f.add("git-paths", 0, flag_set::kind::slice, "",
        "deprecated, use --git-path");
  f.add("git-label", 0, flag_set::kind::string, "flux",
        "Git label to keep track of Flux's sync progress; overrides both "
        "--git-sync-tag and --git-notes-ref");
  f.add("git-user", 0, flag_set::kind::string, "Flux",
        "username to use as git committer");
  f.add("git-email", 0, flag_set::kind::string, "",
        "email to use as git committer");
  f.add("git-readonly", 0, flag_set::kind::boolean, "false",
        "tell flux it has readonly access to the repo");
  f.add("manifest-generation", 0, flag_set::kind::boolean, "false",
        "whether to enable manifest generation");
  f.add("namespace", 0, flag_set::kind::string, "",
        "cluster namespace where to install flux");
  f.add("registry-disable-scanning", 0, flag_set::kind::boolean, "false",
        "do not scan container image registries to fill in the registry "
        "cache");
  f.add("output-dir", 'o', flag_set::kind::string, "",
        "a directory in which to write individual manifests, rather than "
        "printing to stdout");
  f.add("add-security-context", 0, flag_set::kind::boolean, "true",
        "Ensure security context information is added to the pod specs. "
        "Defaults to 'true'");
}

void install(const flag_set& f, const std::string& default_namespace,
             const std::vector<std::string>& args, std::ostream& out,
             std::ostream&) {
  if (!args.empty())
    throw usage_error("expected no (non-flag) arguments");
  install::parameters p;
  p.git_url = f.str("git-url");
  p.git_email = f.str("git-email");
  p.git_branch = f.str("git-branch");
  p.git_paths = f.slice("git-path");
  for (auto& path : f.slice("git-paths"))
    p.git_paths.push_back(path);
  p.git_label = f.str("git-label");
  p.git_user = f.str("git-user");
  p.git_readonly = f.boolean("git-readonly");
  p.manifest_generation = f.boolean("manifest-generation");
  p.namespace_ =
      f.changed("namespace") ? f.str("namespace") : default_namespace;
  p.registry_disable_scanning = f.boolean("registry-disable-scanning");
  p.add_security_context = f.boolean("add-security-context");
  std::vector<std::pair<std::string, std::string>> files;
  try {
    files = install::render(p);
  } catch (const install::parameter_error& e) {
    throw usage_error(e.what());
  }
  auto dir = f.str("output-dir");
  for (auto& [name, body] : files) {
    if (dir.empty()) {
      out << body;
      continue;
    }
    auto path = dir + "/" + name;
    std::ofstream file(path);
    file << body;
    if (!file)
      throw std::runtime_error("cannot write " + path);
  }
}

} // namespace fluxd::fluxctl
