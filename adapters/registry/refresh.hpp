#pragma once

#include <algorithm>
#include <chrono>
#include <string>

/// Flux v1's adaptive per-tag refresh (§11.3), as a pure function: a tag
/// whose digest stays put is looked at half as often each time, one that
/// moves twice as often.
namespace fluxd::registry {

inline constexpr std::chrono::seconds initial_refresh{3600};
inline constexpr std::chrono::seconds min_refresh{300};
inline constexpr std::chrono::seconds max_refresh{7 * 24 * 3600};
inline constexpr std::chrono::seconds excluded_refresh{24 * 3600};

/// `previous` is the last interval (zero for a tag never fetched);
/// `old_digest` is empty for a new tag.
inline std::chrono::seconds next_refresh(std::chrono::seconds previous,
                                         const std::string& old_digest,
                                         const std::string& new_digest,
                                         bool excluded) {
  if (excluded)
    return excluded_refresh;
  if (previous <= std::chrono::seconds::zero())
    previous = initial_refresh;
  if (old_digest.empty())
    return previous;
  if (old_digest == new_digest)
    return std::min(previous * 2, max_refresh);
  return std::max(previous / 2, min_refresh);
}

} // namespace fluxd::registry
