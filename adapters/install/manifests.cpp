#include "adapters/install/manifests.hpp"

#include <cstdio>
#include <set>

#include <yaml-cpp/yaml.h>

#include "adapters/install/yaml_writer.hpp"

namespace fluxd::install {

namespace {

/// The daemon flags `fluxctl install` sets; deploy/base's values of these
/// are replaced by the rendered ones, every other argument is kept.
const std::set<std::string> rendered_flags = {"git-url",
                                              "git-branch",
                                              "git-path",
                                              "git-label",
                                              "git-user",
                                              "git-email",
                                              "git-readonly",
                                              "manifest-generation",
                                              "registry-disable-scanning"};

/// Kinds kustomize's namespace transformer leaves alone.
const std::set<std::string> cluster_scoped = {
    "Namespace",          "ClusterRole",
    "ClusterRoleBinding", "CustomResourceDefinition",
    "PriorityClass",      "StorageClass"};

std::vector<std::string> daemon_args(const parameters& p) {
  std::vector<std::string> a = {"--git-url=" + p.git_url,
                                "--git-branch=" + p.git_branch};
  for (auto& path : p.git_paths)
    a.push_back("--git-path=" + path);
  a.push_back("--git-label=" + p.git_label);
  a.push_back("--git-user=" + p.git_user);
  a.push_back("--git-email=" + p.git_email);
  if (p.git_readonly)
    a.push_back("--git-readonly");
  if (p.manifest_generation)
    a.push_back("--manifest-generation=true");
  if (p.registry_disable_scanning)
    a.push_back("--registry-disable-scanning");
  return a;
}

std::string flag_name(const std::string& arg) {
  auto start = arg.find_first_not_of('-');
  if (start == std::string::npos)
    return {};
  return arg.substr(start, arg.find('=') - start);
}

/// Replaces the rendered flags in place: the new ones go where the first
/// of the old ones was, so deploy/base's order is kept.
YAML::Node substitute_args(const YAML::Node& args, const parameters& p) {
  YAML::Node out(YAML::NodeType::Sequence);
  bool placed = false;
  auto place = [&] {
    for (auto& a : daemon_args(p))
      out.push_back(string_node(a));
    placed = true;
  };
  for (auto a : args) {
    if (rendered_flags.count(flag_name(a.as<std::string>()))) {
      if (!placed)
        place();
      continue;
    }
    out.push_back(a);
  }
  if (!placed)
    place();
  return out;
}

void render_deployment(YAML::Node pod, const parameters& p,
                       const std::string& file) {
  auto containers = pod["containers"];
  if (!containers || !containers.IsSequence() || containers.size() == 0)
    throw template_error(file + ": the Deployment has no containers");
  containers[0]["args"] = substitute_args(containers[0]["args"], p);
  if (!p.add_security_context) {
    pod.remove("securityContext");
    for (auto c : containers)
      c.remove("securityContext");
  }
}

/// Sets what kustomize's `namespace:` would, plus Flux v1's flags.
/// Returns false for an object left out.
bool render_object(YAML::Node obj, const parameters& p,
                   const std::string& file) {
  if (!obj.IsMap() || !obj["kind"] || !obj["metadata"])
    throw template_error(file + ": a document without kind or metadata");
  auto kind = obj["kind"].as<std::string>();
  auto meta = obj["metadata"];
  if (kind == "Namespace") {
    if (p.namespace_ == "default")
      return false;
    meta["name"] = string_node(p.namespace_);
  } else if (!cluster_scoped.count(kind)) {
    meta["namespace"] = string_node(p.namespace_);
  }
  if ((kind == "ClusterRoleBinding" || kind == "RoleBinding")
      && obj["subjects"])
    for (auto s : obj["subjects"])
      if (s["kind"] && s["kind"].as<std::string>() == "ServiceAccount")
        s["namespace"] = string_node(p.namespace_);
  if (kind == "Deployment")
    render_deployment(obj["spec"]["template"]["spec"], p, file);
  return true;
}

std::string_view find_file(const std::vector<base_file>& base,
                           const std::string& name) {
  for (auto& f : base)
    if (f.name == name)
      return f.text;
  throw template_error("deploy/base/" + name
                       + " is listed in kustomization.yaml but was not "
                         "embedded");
}

} // namespace

std::vector<std::pair<std::string, std::string>>
render(const parameters& p, const std::vector<base_file>& base) {
  if (p.git_url.empty())
    throw parameter_error("please supply a valid --git-url argument");
  if (p.git_email.empty())
    throw parameter_error("please supply a valid --git-email argument");
  if (p.namespace_.empty())
    throw parameter_error("please supply a valid --namespace argument");
  std::vector<std::pair<std::string, std::string>> files;
  bool deployment = false;
  try {
    auto kustomization =
        YAML::Load(std::string(find_file(base, "kustomization.yaml")));
    for (auto r : kustomization["resources"]) {
      auto name = r.as<std::string>();
      std::string text;
      for (auto doc : YAML::LoadAll(std::string(find_file(base, name)))) {
        if (doc.IsNull())
          continue;
        if (!render_object(doc, p, "deploy/base/" + name))
          continue;
        if (doc["kind"].as<std::string>() == "Deployment")
          deployment = true;
        text += "---\n" + write_yaml(doc);
      }
      // Numbered so `kubectl apply -f <dir>` (which goes by file name)
      // creates the Namespace first.
      char prefix[8];
      std::snprintf(prefix, sizeof prefix, "%02zu-", files.size() + 1);
      if (!text.empty())
        files.emplace_back(prefix + name, std::move(text));
    }
  } catch (const YAML::Exception& e) {
    throw template_error("deploy/base: " + std::string(e.what()));
  }
  if (!deployment)
    throw template_error("deploy/base has no Deployment");
  return files;
}

} // namespace fluxd::install
