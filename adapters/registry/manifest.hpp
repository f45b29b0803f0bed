#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Pure parsing of what registries send: manifests of every kind, config
/// blobs, digests and times. No I/O, so it is fuzzable and unit-testable.
namespace fluxd::registry {

namespace media_type {
inline constexpr std::string_view docker_manifest =
  "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_list =
  "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view oci_manifest =
  "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index =
  "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view schema1_signed =
  "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr std::string_view schema1 =
  "application/vnd.docker.distribution.manifest.v1+json";
/// Sent on every manifest request: without all four, Distribution converts
/// or hides manifests (protocols.md §C.4).
inline constexpr std::string_view accept_all =
  "application/vnd.oci.image.index.v1+json, "
  "application/vnd.docker.distribution.manifest.list.v2+json, "
  "application/vnd.oci.image.manifest.v1+json, "
  "application/vnd.docker.distribution.manifest.v2+json";
} // namespace media_type

using time_point = std::chrono::system_clock::time_point;

/// Label keys that carry a build time (Flux v1 §5.5).
inline constexpr std::string_view label_created =
  "org.opencontainers.image.created";
inline constexpr std::string_view label_build_date =
  "org.label-schema.build-date";

struct platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant; ///< empty: any variant
  /// `linux/arm64/v8` → {linux, arm64, v8}.
  static platform parse(std::string_view text);
  std::string to_string() const;
};

/// One entry of a manifest list / OCI index.
struct index_entry {
  std::string digest;
  std::string media_type;
  std::string os;
  std::string architecture;
  std::string variant;
};

/// Any manifest, reduced to what scanning needs.
struct parsed_manifest {
  enum class kind { image, index, schema1 } what = kind::image;
  std::string media_type;
  std::string config_digest;             ///< image
  std::vector<index_entry> entries;      ///< index
  std::map<std::string, std::string> annotations;
  time_point created{};                  ///< schema1 only
  std::map<std::string, std::string> labels; ///< schema1 only
};

/// `origin` (repository and reference) goes into every error message.
/// `content_type` is the response header, used when the body has no
/// `mediaType`. Throws registry_error(bad_response).
parsed_manifest parse_manifest(std::string_view body,
                               std::string_view content_type,
                               const std::string& origin);

/// The first entry matching the platform (variant only when asked for).
const index_entry* select_platform(const std::vector<index_entry>& entries,
                                   const platform& want);

/// `created` and labels of an image config blob.
struct image_config {
  time_point created{};
  std::map<std::string, std::string> labels;
};
image_config parse_config(std::string_view body, const std::string& origin);

/// RFC 3339 with optional fraction and offset; nullopt when unparsable. The
/// epoch itself (reproducible builds) is "unknown": returns time_point{}.
std::optional<time_point> parse_rfc3339(std::string_view text);
/// `2024-01-01T10:00:00Z`, with nanoseconds only when non-zero.
std::string format_rfc3339(time_point t);

/// `sha256:<hex>` of the exact bytes.
std::string sha256_digest(std::string_view bytes);

/// Checks `algo:hex` syntax (sha256/sha512 lengths).
bool valid_digest(std::string_view digest);

} // namespace fluxd::registry
