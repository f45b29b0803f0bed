#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

/// Container image references as Flux v1 reads them (pkg/image): a loose
/// Docker reference grammar that keeps the manifest's spelling for output
/// and offers a canonical form for matching and cache keys.
namespace fluxd::image {

/// A reference that cannot be parsed; the message quotes the input.
class ref_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct ref {
  std::string domain; ///< as written; empty for Docker Hub short names
  std::string path;   ///< e.g. `weaveworks/helloworld`, `alpine`
  std::string tag;    ///< empty when untagged or digest-pinned
  std::string sha;    ///< hex after `@sha256:`, empty when absent

  /// `domain/path` as written (Flux v1's Name.String()).
  std::string name() const;
  /// The original spelling: name + `@sha256:<sha>` or `:<tag>`.
  std::string to_string() const;

  /// `index.docker.io` for Docker Hub spellings, else the domain.
  std::string registry() const;
  /// The path, with `library/` added to single-element Docker Hub paths.
  std::string repository() const;
  /// `registry()/repository()`: the cache key and filter subject.
  std::string canonical_name() const;
  /// Canonical name plus `:tag` (digest dropped).
  std::string canonical_ref() const;

  /// The same spelling with another tag (and no digest).
  ref with_tag(std::string new_tag) const;

  /// Literal equality (domain, path, tag and digest as written).
  bool operator==(const ref& other) const;
  bool operator!=(const ref& other) const { return !(*this == other); }
  /// True when both name the same image in canonical form.
  bool same_canonical(const ref& other) const;
};

/// Parses a reference as Flux v1's image.ParseRef; throws ref_error.
ref parse_ref(std::string_view text);

/// A release's image spec (Flux v1's update.ParseImageSpec): nullopt for
/// `<all latest>`, else a ref that must have a tag; throws ref_error.
std::optional<ref> parse_image_spec(std::string_view text);

inline constexpr const char* all_latest = "<all latest>";

/// True for `""`, `docker.io` and `index.docker.io`.
bool is_docker_hub(std::string_view domain);

} // namespace fluxd::image
