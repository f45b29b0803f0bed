#pragma once

#include <string>
#include <string_view>
#include <vector>

/// Registry host and repository naming: Docker Hub's several spellings, the
/// canonical names Flux v1 keys its cache by (§5.2), and `*` globs.
namespace fluxd::registry {

/// Docker Hub's canonical host name, as Flux v1 spells it.
inline constexpr std::string_view docker_hub_host = "index.docker.io";

/// True for every spelling of Docker Hub: docker.io, index.docker.io,
/// registry-1.docker.io, registry.hub.docker.com (any case).
bool is_docker_hub(std::string_view host);

/// Reduces a host as written in a credentials file or image name to the
/// form we match on: scheme and path dropped (`https://gcr.io/v1/` →
/// `gcr.io`), lower case, every Docker Hub spelling → `index.docker.io`.
/// Throws registry_error(config) for an empty host (`https://` alone).
std::string normalize_host(std::string_view key);

/// The host the API is served from: Docker Hub → registry-1.docker.io.
std::string api_host(std::string_view canonical_host);

/// A repository on a registry, without tag or digest.
struct repository_name {
  std::string host; ///< canonical: index.docker.io for Docker Hub
  std::string path; ///< as sent to the registry: library/alpine

  /// `index.docker.io/library/alpine`: the key of every cache and actor.
  std::string canonical() const { return host + "/" + path; }

  /// Parses an image reference (`alpine`, `alpine:3.5`, `quay.io/a/b@sha…`,
  /// `localhost:5000/x`) following Docker's rules and drops tag and digest.
  /// Throws registry_error(config) naming the reference when malformed.
  static repository_name parse(std::string_view image);
};

/// Flux v1's glob: `*` matches any run (also empty), everything else is
/// literal, the whole string must match.
bool glob_match(std::string_view pattern, std::string_view text);

/// True when any of `patterns` matches.
bool glob_any(const std::vector<std::string>& patterns, std::string_view text);

/// --registry-include-image / --registry-exclude-image on a canonical
/// name: excluded when any exclude glob matches, else included when there
/// are no include globs or one matches (Flux v1 §11.7).
bool scan_allowed(std::string_view canonical,
                  const std::vector<std::string>& includes,
                  const std::vector<std::string>& excludes);

} // namespace fluxd::registry
