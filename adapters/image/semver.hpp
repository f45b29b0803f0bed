#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

/// Semantic versions and constraints with the semantics of Masterminds
/// semver v3, the library Flux v1 used for `semver:` tag filters: lenient
/// versions (`1`, `1.2`, `v1.2.3`), `~ ^ = != < <= > >=`, wildcards, hyphen
/// ranges, `,`/space for AND, `||` for OR, and pre-releases admitted only
/// by constraints that name one.
namespace fluxd::image::semver {

class constraint_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct version {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::string prerelease; ///< without the leading `-`
  std::string metadata;   ///< without the leading `+`; ignored in comparison
};

/// Lenient parse (Masterminds NewVersion); nullopt when not a version.
std::optional<version> parse_version(std::string_view text);

/// -1, 0 or 1; metadata is ignored, a pre-release sorts before its release.
int compare(const version& a, const version& b);

/// A parsed constraint expression.
class constraints {
public:
  /// Throws constraint_error naming the expression when it does not parse.
  explicit constraints(std::string_view text);

  bool check(const version& v) const;

  struct term {
    std::string op;
    version con;
    bool dirty = false;       ///< some part was a wildcard or missing
    bool minor_dirty = false; ///< minor (and patch) were wildcards/missing
    bool patch_dirty = false; ///< only patch was a wildcard/missing
  };

private:
  std::vector<std::vector<term>> any_of_; ///< OR of ANDs
};

} // namespace fluxd::image::semver
