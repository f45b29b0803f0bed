#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/image/ref.hpp"

namespace re2 {
class RE2;
}

/// Tag filters (`fluxcd.io/tag.<container>` values) and "newest first"
/// orderings. Flux v1's `glob:`, `semver:` and `regexp:`/`regex:` keep their
/// exact semantics; `alphabetical:` and `numerical:` are Flux v2's orderings
/// offered as new prefixes because they need no image metadata.
namespace fluxd::image {

/// An invalid pattern in a policy update; the message quotes the pattern.
class pattern_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

enum class filter_kind { glob, semver, regexp, alphabetical, numerical };

/// One tag of an image repository with what ordering may need.
struct candidate {
  ref image;
  /// Image creation time; the epoch (zero) when unknown, which sorts last.
  std::chrono::system_clock::time_point created{};
};

namespace semver {
class constraints;
}

class tag_filter {
public:
  /// Any string is accepted: like Flux v1, an invalid semver constraint or
  /// regexp (or ordering) matches everything at filter time.
  explicit tag_filter(std::string_view pattern = "glob:*");

  /// Policy updates refuse invalid patterns: throws pattern_error
  /// `invalid tag pattern: "<pattern>"`.
  static tag_filter parse_strict(std::string_view pattern);

  filter_kind kind() const { return kind_; }
  bool valid() const { return valid_; }
  /// With the canonical prefix: `regex:x` renders as `regexp:x`, `x` as
  /// `glob:x`.
  std::string to_string() const;

  /// The pattern alone (no `latest` rule).
  bool matches(std::string_view tag) const;
  /// What filtering keeps: matches() and the `latest` rule (the tag
  /// `latest`, any case, only passes the pattern `glob:latest`).
  bool admits(std::string_view tag) const;

  /// True when ordering needs creation times (glob, regexp): the registry
  /// scanner may skip fetching manifests for filters that return false.
  bool needs_created() const;

  /// Strict "newer than" of this filter's ordering.
  bool newer(const candidate& a, const candidate& b) const;

  /// Keeps admitted candidates, newest first; latest = front().
  std::vector<candidate> filter_and_sort(std::vector<candidate> all) const;

private:
  filter_kind kind_ = filter_kind::glob;
  bool valid_ = true;
  bool ascending_ = true; ///< alphabetical / numerical order
  std::string body_;      ///< the pattern without its prefix
  std::shared_ptr<const re2::RE2> regexp_;
  std::shared_ptr<const semver::constraints> constraints_;
};

/// Go-glob matching as Flux v1 (`*` = any run, nothing else is special).
bool glob_match(std::string_view pattern, std::string_view subject);

/// Flux v1's orderings, "a is newer than b".
bool newer_by_created(const candidate& a, const candidate& b);
bool newer_by_semver(const candidate& a, const candidate& b);

} // namespace fluxd::image
