#pragma once

#include "adapters/manifests/loader.hpp"
#include "adapters/release/planner.hpp"

/// Flux v1's release test world (§14.3): helloworld (greeter + sidecar),
/// locked-service (locked), test-service (in git, not running), semver
/// (filter semver:*), init (DaemonSet with an init container), multi-deploy
/// (a multidoc file) and list-deploy (a List).
namespace fixtures {

fluxd::manifests::file_map files();
fluxd::manifests::load_options options();

/// What the cluster runs: helloworld and locked-service (and, for the
/// filter tests, semver, init, multi-deploy and list-deploy).
fluxd::release::cluster_view cluster(bool everything = false);

/// helloworld:3.0.0 (older), helloworld:master-a000002 (now),
/// sidecar:master-a000002 (now), locked-service:2 (now).
fluxd::release::image_index registry();

} // namespace fixtures
