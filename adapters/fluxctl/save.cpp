// `fluxctl save`: the cluster's workloads from /v6/export, cleaned of
// cluster-only fields, to stdout or one file per object.

#include <fstream>
#include <sys/stat.h>

#include <yaml-cpp/yaml.h>

#include "adapters/fluxctl/commands.hpp"

namespace fluxd::fluxctl {

namespace {

/// Removes map entries whose value is an empty map, depth first.
void drop_empty_maps(YAML::Node node) {
  if (!node.IsMap())
    return;
  std::vector<std::string> empty;
  for (auto kv : node) {
    drop_empty_maps(kv.second);
    if (kv.second.IsMap() && kv.second.size() == 0)
      empty.push_back(kv.first.as<std::string>());
  }
  for (auto& k : empty)
    node.remove(k);
}

YAML::Node clean(const YAML::Node& doc) {
  YAML::Node out(YAML::NodeType::Map);
  for (auto key : {"apiVersion", "kind"})
    if (doc[key])
      out[key] = doc[key];
  YAML::Node meta(YAML::NodeType::Map);
  if (doc["metadata"])
    for (auto key : {"annotations", "labels", "name", "namespace"})
      if (doc["metadata"][key])
        meta[key] = YAML::Clone(doc["metadata"][key]);
  if (meta["annotations"]) {
    for (auto a : {"deployment.kubernetes.io/revision",
                   "kubectl.kubernetes.io/last-applied-configuration",
                   "kubernetes.io/change-cause"})
      meta["annotations"].remove(a);
  }
  out["metadata"] = meta;
  if (doc["spec"]) {
    out["spec"] = YAML::Clone(doc["spec"]);
    if (out["spec"]["template"] && out["spec"]["template"]["metadata"])
      out["spec"]["template"]["metadata"].remove("creationTimestamp");
  }
  drop_empty_maps(out);
  return out;
}

} // namespace

void save_flags(flag_set& f) {
  f.add("out", 'o', flag_set::kind::string, "-",
        "Output path for exported config; the default. '-' indicates "
        "stdout; if a directory is given, each item will be saved in a "
        "file under the directory");
}

void save(context& ctx, const std::vector<std::string>& args) {
  if (!args.empty())
    throw usage_error("expected no (non-flag) arguments");
  auto yaml = ctx.client->export_cluster();
  auto dest = ctx.flags.str("out");
  for (auto& doc : YAML::LoadAll(yaml)) {
    if (!doc.IsMap())
      continue;
    auto obj = clean(doc);
    YAML::Emitter em;
    em << obj;
    std::string text = std::string("---\n") + em.c_str() + "\n";
    if (dest == "-") {
      ctx.env.out << text;
      continue;
    }
    struct stat st {};
    if (stat(dest.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw std::runtime_error("output directory " + dest + " does not exist");
    auto kind = obj["kind"] ? obj["kind"].as<std::string>() : "";
    auto name = obj["metadata"]["name"]
                    ? obj["metadata"]["name"].as<std::string>()
                    : "";
    std::string path;
    if (kind == "Namespace") {
      path = dest + "/" + name + "-ns.yaml";
    } else {
      auto ns = obj["metadata"]["namespace"]
                    ? obj["metadata"]["namespace"].as<std::string>()
                    : "default";
      auto dir = dest + "/" + ns;
      mkdir(dir.c_str(), 0755);
      auto short_kind = kind == "Deployment" ? "dep" : kind;
      for (auto& c : short_kind)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      path = dir + "/" + name + "-" + short_kind + ".yaml";
    }
    ctx.env.err << "Saving " << kind << " '" << name << "' to " << path << "\n";
    std::ofstream file(path);
    file << text;
    if (!file)
      throw std::runtime_error("cannot write " + path);
  }
}

} // namespace fluxd::fluxctl
