#include "adapters/fluxctl/cli.hpp"

#include <map>

#include "adapters/config/duration.hpp"
#include "adapters/fluxctl/commands.hpp"
#include "adapters/fluxctl/completion.hpp"
#include "adapters/fluxctl/discovery.hpp"
#include "adapters/fluxctl/install.hpp"

namespace fluxd::fluxctl {

namespace {

struct command {
  std::string summary;
  std::function<void(flag_set&)> flags;
  std::function<void(context&, const std::vector<std::string>&)> run;
  bool needs_daemon = true;
};

std::map<std::string, command> commands() {
  std::map<std::string, command> c;
  c["list-workloads"] = {"List workloads currently running in the cluster.",
                         list_workloads_flags, list_workloads};
  c["list-images"] = {"Show deployed and available images.", list_images_flags,
                      list_images};
  c["release"] = {"Release a new version of a workload.", release_flags,
                  release};
  for (auto name : {"automate", "deautomate", "lock", "unlock", "policy"}) {
    std::string n = name;
    c[n] = {n == "policy" ? "Manage policies for a workload."
                          : "Turn on/off automatic deployment or locking for "
                            "a workload.",
            [n](flag_set& f) { policy_flags(f, n); },
            [n](context& ctx, const std::vector<std::string>& a) {
              policy(ctx, n, a);
            }};
  }
  c["sync"] = {"Synchronize the cluster with the git repository, now",
               sync_flags, sync};
  c["identity"] = {"Display SSH public key", identity_flags, identity};
  c["save"] = {"Save workload definitions to local files in cluster-native "
               "format",
               save_flags, save};
  c["install"] = {"Print and tweak Kubernetes manifests needed to install "
                  "Flux in a Cluster",
                  install_flags,
                  [](context& ctx, const std::vector<std::string>& a) {
                    install(ctx.flags, ctx.default_namespace, a, ctx.env.out,
                            ctx.env.err);
                  },
                  false};
  c["version"] = {"Output the version of fluxctl", [](flag_set&) {},
                  [](context& ctx, const std::vector<std::string>& a) {
                    if (!a.empty())
                      throw usage_error("expected no (non-flag) arguments");
                    ctx.env.out << ctx.env.version << "\n";
                  },
                  false};
  c["completion"] = {"Output shell completion code for the specified shell "
                     "(bash, zsh, or fish)",
                     [](flag_set&) {},
                     [](context& ctx, const std::vector<std::string>& a) {
                       if (a.empty())
                         throw usage_error("please specify a shell");
                       if (a.size() > 1)
                         throw usage_error("please specify only one shell");
                       ctx.env.out << completion_script(a[0]);
                     },
                     false};
  return c;
}

void global_flags(flag_set& f) {
  f.add("url", 'u', flag_set::kind::string, "",
        "Base URL of the Flux API (defaults to \"\" if a token is not "
        "provided); you can also set the environment variable FLUX_URL");
  f.add("token", 't', flag_set::kind::string, "",
        "Weave Cloud authentication token; you can also set the "
        "environment variable WEAVE_CLOUD_TOKEN or FLUX_SERVICE_TOKEN");
  f.add("k8s-fwd-ns", 0, flag_set::kind::string, "default",
        "Namespace in which fluxd is running, for creating a port forward "
        "to access the API. No port forward will be created if a URL or "
        "token is given. You can also set the environment variable "
        "FLUX_FORWARD_NAMESPACE");
  f.add("k8s-fwd-labels", 0, flag_set::kind::string, "app=flux",
        "Labels used to select the fluxd pod a port forward should be "
        "created for. You can also set the environment variable "
        "FLUX_FORWARD_LABELS");
  f.add("context", 0, flag_set::kind::string, "",
        "The kubeconfig context to use");
  f.add("timeout", 0, flag_set::kind::string, "1m0s",
        "Global command timeout; you can also set the environment variable "
        "FLUX_TIMEOUT");
  f.add("help", 'h', flag_set::kind::boolean, "false", "help for fluxctl");
}

/// flag → environment variable, in the order they apply (a later one
/// wins), also listed in docs/fluxctl.md.
const std::pair<const char*, const char*> env_fallbacks[] = {
    {"url", "FLUX_URL"},
    {"token", "WEAVE_CLOUD_TOKEN"},
    {"token", "FLUX_SERVICE_TOKEN"},
    {"k8s-fwd-ns", "FLUX_FORWARD_NAMESPACE"},
    {"k8s-fwd-labels", "FLUX_FORWARD_LABELS"},
    {"timeout", "FLUX_TIMEOUT"}};

/// Env values apply only when the flag was not given (§2.1).
void apply_env(flag_set& f, environment& env) {
  for (auto [flag, var] : env_fallbacks) {
    auto v = env.getenv(var);
    if (!f.changed(flag) && !v.empty())
      f.set_default(flag, v);
  }
}

std::string md_cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string flag_cell(const flag_set::description& d) {
  std::string s = "`--" + d.name;
  if (d.k == flag_set::kind::string)
    s += " string";
  else if (d.k == flag_set::kind::slice)
    s += " strings";
  s += "`";
  if (d.shorthand)
    s += ", `-" + std::string(1, d.shorthand) + "`";
  if (d.k == flag_set::kind::count)
    s += " (repeatable)";
  return s;
}

std::string default_cell(const flag_set::description& d) {
  if (d.k == flag_set::kind::count)
    return "0";
  if (d.k == flag_set::kind::slice || d.def.empty())
    return "";
  return "`" + d.def + "`";
}

std::string root_help(const std::map<std::string, command>& cs) {
  std::string out =
      "fluxctl helps you deploy your code.\n\n"
      "Connecting:\n\n"
      "  # To a fluxd running in namespace \"default\" in your current "
      "kubectl context\n"
      "  fluxctl list-workloads\n\n"
      "  # To a fluxd running in namespace \"weave\" in your current kubectl "
      "context\n"
      "  fluxctl --k8s-fwd-ns=weave list-workloads\n\n"
      "  # To a Weave Cloud instance, with your instance token in "
      "$TOKEN\n"
      "  fluxctl --token $TOKEN list-workloads\n\n"
      "Usage:\n  fluxctl [command]\n\nAvailable Commands:\n";
  for (auto& [name, c] : cs) {
    auto n = name;
    n.resize(std::max<size_t>(n.size(), 15), ' ');
    out += "  " + n + " " + c.summary + "\n";
  }
  out += "  help            Help about any command\n\n"
         "Use \"fluxctl [command] --help\" for more information about a "
         "command.\n";
  return out;
}

} // namespace

std::string reference_markdown() {
  std::string out = "### Global flags\n\nAccepted before or after the "
                    "command.\n\n| flag | default | environment | meaning "
                    "|\n|---|---|---|---|\n";
  flag_set globals;
  global_flags(globals);
  for (auto& d : globals.describe()) {
    std::string vars;
    for (auto [flag, var] : env_fallbacks)
      if (d.name == flag)
        vars += std::string(vars.empty() ? "" : ", ") + "`" + var + "`";
    out += "| " + flag_cell(d) + " | " + default_cell(d) + " | " + vars + " | "
           + md_cell(d.usage) + " |\n";
  }
  for (auto& [name, c] : commands()) {
    out += "\n### fluxctl " + name + "\n\n" + c.summary + "\n";
    if (name == "list-workloads")
      out += "\nAlias: `list-controllers`.\n";
    out += c.needs_daemon ? "" : "\nRuns without a daemon (no URL needed).\n";
    flag_set f;
    c.flags(f);
    auto flags = f.describe();
    if (flags.empty()) {
      out += "\nNo flags of its own.\n";
      continue;
    }
    out += "\n| flag | default | meaning |\n|---|---|---|\n";
    for (auto& d : flags)
      out += "| " + flag_cell(d) + " | " + default_cell(d) + " | "
             + md_cell(d.usage) + " |\n";
  }
  return out;
}

int run(const std::vector<std::string>& args, environment& env) {
  auto cs = commands();
  try {
    // The command is the first argument that is not a flag or its value.
    flag_set probe;
    global_flags(probe);
    std::string name;
    size_t pos = 0;
    for (; pos < args.size(); ++pos) {
      auto& a = args[pos];
      if (a.empty() || a[0] != '-') {
        name = a;
        break;
      }
      bool takes_value =
          a.find('=') == std::string::npos
          && (a == "-u" || a == "-t" || a == "--url" || a == "--token"
              || a == "--k8s-fwd-ns" || a == "--k8s-fwd-labels"
              || a == "--context" || a == "--timeout");
      if (takes_value)
        ++pos;
    }
    if (name == "list-controllers")
      name = "list-workloads";
    if (name.empty() || name == "help") {
      env.out << root_help(cs);
      return 0;
    }
    auto it = cs.find(name);
    if (it == cs.end())
      throw usage_error("unknown command \"" + name + "\" for \"fluxctl\"");
    auto& cmd = it->second;
    flag_set f;
    global_flags(f);
    cmd.flags(f);
    std::vector<std::string> rest(args.begin(), args.begin() + pos);
    rest.insert(rest.end(), args.begin() + pos + 1, args.end());
    auto positional = f.parse(rest);
    if (f.boolean("help")) {
      env.out << cmd.summary << "\n\nUsage:\n  fluxctl " << name
              << " [flags]\n\nFlags:\n"
              << f.usage();
      return 0;
    }
    apply_env(f, env);
    daemon_forward forward; // lives while the command talks to fluxd
    context ctx{env, f, std::chrono::seconds(60), nullptr};
    kube_settings kube{f.str("context"), f.str("k8s-fwd-ns"),
                       f.str("k8s-fwd-labels"), env.getenv};
    ctx.default_namespace = context_namespace(kube);
    try {
      ctx.timeout = config::parse_duration(f.str("timeout"));
    } catch (const std::exception& e) {
      throw usage_error("invalid argument \"" + f.str("timeout")
                        + "\" for \"--timeout\" flag: " + e.what());
    }
    if (cmd.needs_daemon) {
      auto url = f.str("url");
      auto token = f.str("token");
      if (url.empty() && !token.empty())
        url = "https://cloud.weave.works/api/flux";
      if (url.empty()) {
        forward = discover_daemon(kube);
        url = forward.url;
      }
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(ctx.timeout);
      ctx.client = std::make_unique<api_client>(
          url, token, std::max(secs, std::chrono::seconds(1)));
    }
    cmd.run(ctx, positional);
    return 0;
  } catch (const client_error& e) {
    if (e.structured) {
      env.err << "== Error ==\n\n" << e.structured->help << "\n";
    } else {
      env.err << "Error: " << e.what() << "\n"
              << "Run 'fluxctl --help' for usage.\n";
    }
  } catch (const std::exception& e) {
    env.err << "Error: " << e.what() << "\n"
            << "Run 'fluxctl --help' for usage.\n";
  }
  return 1;
}

} // namespace fluxd::fluxctl
