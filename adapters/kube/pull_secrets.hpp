#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "adapters/kube/client.hpp"
#include "adapters/registry/credentials.hpp"

/// Image pull credentials from the cluster (§6.3): the imagePullSecrets of
/// workloads' pod specs and of their ServiceAccounts.
namespace fluxd::kube {

/// Where one workload's pull secrets are named.
struct pull_source {
  std::string ns;
  std::string service_account;      ///< "" when there is none (HelmRelease)
  std::vector<std::string> secrets; ///< the pod spec's own
};

struct pull_credentials {
  registry::static_credentials credentials;
  /// Secrets that could not be used (missing, wrong type, malformed),
  /// one line each, naming the secret; never their contents.
  std::vector<std::string> problems;
  /// Every Secret asked for (`ns/name`), found or not: a change to one of
  /// them calls for another read.
  std::vector<std::string> consulted;
};

/// For each source, the ServiceAccount's imagePullSecrets then the pod
/// spec's, each Secret read once per call (`kubernetes.io/dockercfg` and
/// `kubernetes.io/dockerconfigjson`), merged in that order: a later entry
/// for the same registry host wins, as in Flux v1. Unreadable service
/// accounts and secrets are skipped and reported; a transport failure
/// throws (the caller keeps its previous credentials).
pull_credentials read_pull_credentials(client& c,
                                       const std::vector<pull_source>& sources,
                                       std::chrono::milliseconds timeout = {});

} // namespace fluxd::kube
