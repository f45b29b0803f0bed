#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "adapters/image/ref.hpp"

/// Workloads and their containers (§6.1, §6.4): Deployment, DaemonSet,
/// StatefulSet, CronJob (pod templates, init containers included) and
/// HelmRelease (images found in `spec.values`).
namespace fluxd::manifests {

/// Keys from the object root; a sequence index is written as its number.
using value_path = std::vector<std::string>;

/// Dot-separated `a.b.c` → {"a","b","c"}.
value_path split_path(const std::string& dotted);
std::string join_path(const value_path& p);

/// The node at `path`, or an invalid node.
YAML::Node node_at(const YAML::Node& root, const value_path& path);

/// Where an image lives: `image` alone holds the full ref; `registry` and
/// `tag` when the manifest splits it (HelmRelease values).
struct image_location {
  std::optional<value_path> registry;
  value_path image;
  std::optional<value_path> tag;
};

struct container {
  std::string name;
  image::ref image;
  bool init = false;
  image_location where;
};

struct workload_containers {
  std::vector<container> containers;
  /// Why there are none although it is a workload (an unparseable image).
  std::string excuse;
};

/// deployment, daemonset, statefulset, cronjob, helmrelease (any case).
bool is_workload_kind(const std::string& kind);

/// Containers (then init containers; HelmRelease: `chart-image` first, the
/// rest by name). Empty for other kinds.
workload_containers containers_of(const YAML::Node& obj);

/// The scalar values to write so that `c` holds `new_ref`, keeping the
/// split the manifest uses (§6.4).
std::vector<std::pair<value_path, std::string>>
image_writes(const container& c, const image::ref& new_ref);

} // namespace fluxd::manifests
