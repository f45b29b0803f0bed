#include "adapters/fluxctl/completion.hpp"

#include "adapters/fluxctl/flags.hpp"

namespace fluxd::fluxctl {

namespace {

const char* commands = "automate completion deautomate help identity install "
                       "list-images list-workloads lock policy release save "
                       "sync unlock version";

const char* global = "--context --help --k8s-fwd-labels --k8s-fwd-ns "
                     "--timeout --token --url";

/// Flags per command, for the completion tables.
const char* command_flags(const std::string& c) {
  if (c == "list-workloads")
    return "--all-namespaces --container --namespace --no-headers "
           "--output-format";
  if (c == "list-images")
    return "--limit --namespace --no-headers --output-format --workload";
  if (c == "release")
    return "--all --dry-run --exclude --force --interactive --message "
           "--namespace --update-all-images --update-image --user --verbose "
           "--watch --workload";
  if (c == "policy")
    return "--automate --deautomate --lock --message --namespace --tag "
           "--tag-all --unlock --user --verbose --workload";
  if (c == "automate" || c == "deautomate" || c == "lock" || c == "unlock")
    return "--message --namespace --user --verbose --workload";
  if (c == "identity")
    return "--fingerprint --regenerate --visual";
  if (c == "save")
    return "--out";
  if (c == "install")
    return "--add-security-context --git-branch --git-email --git-label "
           "--git-path --git-readonly --git-url --git-user "
           "--manifest-generation --namespace --output-dir "
           "--registry-disable-scanning";
  if (c == "completion")
    return "bash fish zsh";
  return "";
}

std::string bash() {
  std::string s = "# bash completion for fluxctl\n"
                  "_fluxctl() {\n"
                  "  local cur cmd i\n"
                  "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
                  "  cmd=\"\"\n"
                  "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
                  "    case \"${COMP_WORDS[i]}\" in\n"
                  "      -*) ;;\n"
                  "      *) cmd=\"${COMP_WORDS[i]}\"; break ;;\n"
                  "    esac\n"
                  "  done\n"
                  "  local words\n"
                  "  case \"$cmd\" in\n"
                  "    \"\") words=\"";
  s += std::string(commands) + " " + global + "\" ;;\n";
  for (std::string c : {"list-workloads", "list-images", "release", "policy",
                        "automate", "deautomate", "lock", "unlock", "identity",
                        "save", "install", "completion"})
    s +=
        "    " + c + ") words=\"" + command_flags(c) + " " + global + "\" ;;\n";
  s += "    *) words=\"" + std::string(global)
       + "\" ;;\n"
         "  esac\n"
         "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
         "}\n"
         "complete -F _fluxctl fluxctl\n";
  return s;
}

std::string zsh() {
  return "#compdef fluxctl\n"
         "# zsh completion for fluxctl (uses the bash completion)\n"
         "autoload -U +X bashcompinit && bashcompinit\n"
         + bash();
}

std::string fish() {
  std::string s = "# fish completion for fluxctl\n";
  s += "complete -c fluxctl -f -n '__fish_use_subcommand' -a '"
       + std::string(commands) + "'\n";
  for (std::string c :
       {"list-workloads", "list-images", "release", "policy", "automate",
        "deautomate", "lock", "unlock", "identity", "save", "install"}) {
    std::string flags = command_flags(c);
    size_t start = 0;
    while (start < flags.size()) {
      auto end = flags.find(' ', start);
      if (end == std::string::npos)
        end = flags.size();
      s += "complete -c fluxctl -f -n '__fish_seen_subcommand_from " + c
           + "' -l " + flags.substr(start + 2, end - start - 2) + "\n";
      start = end + 1;
    }
  }
  s += "complete -c fluxctl -f -n '__fish_seen_subcommand_from completion' "
       "-a 'bash fish zsh'\n";
  for (auto l :
       {"url", "token", "k8s-fwd-ns", "k8s-fwd-labels", "context", "timeout"})
    s += std::string("complete -c fluxctl -l ") + l + " -r\n";
  return s;
}

} // namespace

std::string completion_script(const std::string& shell) {
  if (shell == "bash")
    return bash();
  if (shell == "zsh")
    return zsh();
  if (shell == "fish")
    return fish();
  throw usage_error("unsupported shell type \"" + shell + "\"");
}

} // namespace fluxd::fluxctl
