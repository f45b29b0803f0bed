#include "adapters/kube/config.hpp"
#include "adapters/kube/errors.hpp"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>

#include <yaml-cpp/yaml.h>

namespace fluxd::kube {

namespace {

bool file_exists(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0
         && S_ISREG(st.st_mode);
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string read_whole(const std::string& path, const std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw config_error(why + ": cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Paths inside a kubeconfig are relative to the file that names them.
std::string resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path[0] == '/')
    return path;
  return base_dir + "/" + path;
}

/// One named entry (cluster, user, context) and the file it came from.
struct entry {
  YAML::Node node;
  std::string file;
};

struct merged {
  std::map<std::string, entry> clusters;
  std::map<std::string, entry> users;
  std::map<std::string, entry> contexts;
  std::string current_context;
};

std::string scalar(const YAML::Node& node, const char* key,
                   const std::string& where) {
  auto v = node[key];
  if (!v || v.IsNull())
    return {};
  if (!v.IsScalar())
    throw config_error(where + "." + key + ": expected a string");
  return v.as<std::string>();
}

bool boolean(const YAML::Node& node, const char* key,
             const std::string& where) {
  auto v = node[key];
  if (!v || v.IsNull())
    return false;
  try {
    return v.as<bool>();
  } catch (const YAML::Exception&) {
    throw config_error(where + "." + key + ": expected true or false");
  }
}

/// `-data` fields hold base64 of the PEM.
std::string decoded(const YAML::Node& node, const char* key,
                    const std::string& where) {
  auto text = scalar(node, key, where);
  if (text.empty())
    return {};
  try {
    return base64_decode(text);
  } catch (const std::invalid_argument&) {
    throw config_error(where + "." + key + ": not valid base64");
  }
}

void merge_list(const YAML::Node& doc, const char* list, const char* inner,
                const std::string& file, std::map<std::string, entry>& out) {
  auto items = doc[list];
  if (!items || items.IsNull())
    return;
  if (!items.IsSequence())
    throw config_error(file + ": " + list + ": expected a list");
  for (const auto& item : items) {
    auto name = scalar(item, "name", file + ": " + list + "[]");
    if (name.empty())
      throw config_error(file + ": " + list + "[]: entry without a name");
    // kubectl: the first file that defines a name wins.
    if (!out.count(name))
      out.emplace(name, entry{item[inner], file});
  }
}

merged merge_files(const std::vector<std::string>& files) {
  merged m;
  for (const auto& file : files) {
    YAML::Node doc;
    try {
      doc = YAML::LoadFile(file);
    } catch (const YAML::BadFile&) {
      throw config_error("cannot read kubeconfig " + file);
    } catch (const YAML::Exception& e) {
      throw config_error("kubeconfig " + file + ": invalid YAML: "
                         + e.what());
    }
    if (!doc || doc.IsNull())
      continue; // an empty file is allowed
    if (!doc.IsMap())
      throw config_error("kubeconfig " + file + ": expected a mapping");
    merge_list(doc, "clusters", "cluster", file, m.clusters);
    merge_list(doc, "users", "user", file, m.users);
    merge_list(doc, "contexts", "context", file, m.contexts);
    if (m.current_context.empty())
      m.current_context = scalar(doc, "current-context", file);
  }
  return m;
}

std::string join(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& f : files)
    out += (out.empty() ? "" : ":") + f;
  return out;
}

void apply_cluster(const entry& e, const std::string& name, rest_config& cfg) {
  auto where = e.file + ": clusters[" + name + "].cluster";
  const auto& n = e.node;
  if (!n || !n.IsMap())
    throw config_error(where + ": missing");
  cfg.server = scalar(n, "server", where);
  if (cfg.server.empty())
    throw config_error(where + ".server: no server given");
  while (!cfg.server.empty() && cfg.server.back() == '/')
    cfg.server.pop_back();
  if (cfg.server.rfind("https://", 0) != 0
      && cfg.server.rfind("http://", 0) != 0)
    throw config_error(where + ".server: needs http:// or https://: "
                       + cfg.server);
  cfg.insecure_skip_tls_verify = boolean(n, "insecure-skip-tls-verify", where);
  cfg.tls_server_name = scalar(n, "tls-server-name", where);
  if (!scalar(n, "proxy-url", where).empty())
    throw config_error(where + ".proxy-url: HTTP proxies are not supported");
  // client-go: -data overrides the file when both are given.
  cfg.ca_pem = decoded(n, "certificate-authority-data", where);
  auto ca_file = scalar(n, "certificate-authority", where);
  if (cfg.ca_pem.empty() && !ca_file.empty())
    cfg.ca_pem = read_whole(resolve(ca_file, dir_of(e.file)),
                            where + ".certificate-authority");
  if (cfg.insecure_skip_tls_verify && !cfg.ca_pem.empty())
    throw config_error(where + ": insecure-skip-tls-verify cannot be "
                       "combined with a certificate authority");
}

exec_config parse_exec(const YAML::Node& n, const std::string& where,
                       const std::string& file) {
  exec_config ex;
  ex.api_version = scalar(n, "apiVersion", where);
  ex.command = scalar(n, "command", where);
  ex.base_dir = dir_of(file);
  if (ex.command.empty())
    throw config_error(where + ".command: missing");
  if (ex.api_version != "client.authentication.k8s.io/v1"
      && ex.api_version != "client.authentication.k8s.io/v1beta1")
    throw config_error(where + ".apiVersion: unsupported \"" + ex.api_version
                       + "\" (need client.authentication.k8s.io/v1 or "
                         "v1beta1)");
  auto mode = scalar(n, "interactiveMode", where);
  if (mode.empty() && ex.api_version == "client.authentication.k8s.io/v1")
    throw config_error(where + ".interactiveMode: required for " +
                       ex.api_version);
  if (mode == "Always")
    throw config_error(where + ".interactiveMode: Always needs a terminal, "
                               "which fluxd never has");
  if (auto args = n["args"]; args && args.IsSequence())
    for (const auto& a : args)
      ex.args.push_back(a.as<std::string>());
  if (auto env = n["env"]; env && env.IsSequence())
    for (const auto& kv : env)
      ex.env.emplace_back(scalar(kv, "name", where + ".env[]"),
                          scalar(kv, "value", where + ".env[]"));
  ex.provide_cluster_info = boolean(n, "provideClusterInfo", where);
  return ex;
}

void apply_user(const entry& e, const std::string& name, rest_config& cfg) {
  auto where = e.file + ": users[" + name + "].user";
  const auto& n = e.node;
  if (!n || n.IsNull())
    return; // an empty user: anonymous
  if (!n.IsMap())
    throw config_error(where + ": expected a mapping");
  auto base = dir_of(e.file);
  cfg.client_cert_pem = decoded(n, "client-certificate-data", where);
  if (auto f = scalar(n, "client-certificate", where);
      cfg.client_cert_pem.empty() && !f.empty())
    cfg.client_cert_pem =
      read_whole(resolve(f, base), where + ".client-certificate");
  cfg.client_key_pem = decoded(n, "client-key-data", where);
  if (auto f = scalar(n, "client-key", where);
      cfg.client_key_pem.empty() && !f.empty())
    cfg.client_key_pem = read_whole(resolve(f, base), where + ".client-key");
  if (cfg.client_cert_pem.empty() != cfg.client_key_pem.empty())
    throw config_error(where + ": a client certificate needs its key and a "
                               "key its certificate");
  cfg.token = scalar(n, "token", where);
  if (auto f = scalar(n, "tokenFile", where); cfg.token.empty() && !f.empty())
    cfg.token_file = resolve(f, base);
  cfg.username = scalar(n, "username", where);
  cfg.password = scalar(n, "password", where);
  if (n["auth-provider"])
    throw config_error(where + ".auth-provider: not supported (use an exec "
                               "credential plugin)");
  if (auto ex = n["exec"]; ex && !ex.IsNull())
    cfg.exec = parse_exec(ex, where + ".exec", e.file);
}

} // namespace

std::vector<std::string> kubeconfig_files(const config_options& opts) {
  if (!opts.kubeconfig.empty())
    return {opts.kubeconfig};
  std::string env;
  if (opts.kubeconfig_env)
    env = *opts.kubeconfig_env;
  else if (auto* e = std::getenv("KUBECONFIG"))
    env = e;
  std::vector<std::string> files;
  if (!env.empty()) {
    std::set<std::string> seen;
    std::stringstream ss(env);
    std::string item;
    // Missing files in KUBECONFIG are skipped, as kubectl does.
    while (std::getline(ss, item, ':'))
      if (file_exists(item) && seen.insert(item).second)
        files.push_back(item);
    return files;
  }
  std::string home;
  if (opts.home)
    home = *opts.home;
  else if (auto* h = std::getenv("HOME"))
    home = h;
  if (!home.empty() && file_exists(home + "/.kube/config"))
    files.push_back(home + "/.kube/config");
  return files;
}

rest_config load_kubeconfig(const std::vector<std::string>& files,
                            const std::string& context) {
  if (files.empty())
    throw config_error("no kubeconfig file to load");
  auto m = merge_files(files);
  auto origin = join(files);
  auto ctx_name = context.empty() ? m.current_context : context;
  if (ctx_name.empty())
    throw config_error("kubeconfig " + origin
                       + ": no current-context and no context chosen");
  auto ctx = m.contexts.find(ctx_name);
  if (ctx == m.contexts.end())
    throw config_error("kubeconfig " + origin + ": context \"" + ctx_name
                       + "\" not found");
  auto where = ctx->second.file + ": contexts[" + ctx_name + "].context";
  const auto& cn = ctx->second.node;
  if (!cn || !cn.IsMap())
    throw config_error(where + ": missing");
  rest_config cfg;
  cfg.context = ctx_name;
  cfg.origin = origin;
  cfg.namespace_name = scalar(cn, "namespace", where);
  auto cluster = scalar(cn, "cluster", where);
  auto cl = m.clusters.find(cluster);
  if (cluster.empty() || cl == m.clusters.end())
    throw config_error(where + ".cluster: cluster \"" + cluster
                       + "\" not found");
  apply_cluster(cl->second, cluster, cfg);
  auto user = scalar(cn, "user", where);
  if (!user.empty()) {
    auto us = m.users.find(user);
    if (us == m.users.end())
      throw config_error(where + ".user: user \"" + user + "\" not found");
    apply_user(us->second, user, cfg);
  }
  return cfg;
}

rest_config load_config(const config_options& opts) {
  auto files = kubeconfig_files(opts);
  if (!files.empty())
    return load_kubeconfig(files, opts.context);
  return in_cluster_config(opts);
}

} // namespace fluxd::kube
