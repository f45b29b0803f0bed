#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/manifests/loader.hpp"
#include "adapters/sync/desired.hpp"

/// A revision's files made ready to apply, and a cache that makes a new
/// revision cost only the files that changed. Parsing YAML is most of a
/// load (seconds for 10,000 files); the rules that need the whole set
/// (scope from discovery and CRDs, namespaces, duplicate IDs) are cheap
/// and run again on every load, so a discovery change is never frozen.
namespace fluxd::sync {

/// desired_object with the object as the JSON text the sync messages
/// carry, so that an unchanged object costs a copy, not a tree per load.
struct prepared_object {
  std::string id;
  std::string api_version;
  std::string kind;
  std::string ns; ///< effective; empty when cluster-scoped
  std::string name;
  std::string source;
  std::string checksum;
  int rank = 4;
  bool ignore_in_file = false;
  std::string object; ///< JSON with namespace, gc mark and checksum
};

struct prepared {
  std::vector<prepared_object> resources; ///< sorted by rank, then name
  std::vector<manifests::file_problem> errors;
  std::vector<std::string> warnings;
  std::vector<std::string> excluded;
};

/// Loads every file and prepares every resource: what revision_cache
/// must always equal.
prepared prepare_all(const manifests::file_map& files,
                     const manifests::load_options& opts,
                     const std::string& set_name);

/// Counters of a revision_cache.
struct cache_stats {
  std::size_t files = 0;  ///< files held now
  std::size_t bytes = 0;  ///< approximate size of what they hold
  std::size_t parsed = 0; ///< files parsed since construction
  std::size_t reused = 0; ///< files taken from the cache since then
};

/// prepare_all() that re-parses only files whose content is new. Each file
/// is kept by path with a SHA-256 of its content and a compact form: per
/// object its header (kind, name, annotations…) and, once prepared, its
/// JSON text for the effective namespace it was prepared with; no YAML or
/// JSON trees. An object whose namespace changed (flags, discovery) or
/// that was never prepared has its file parsed again. Files absent from
/// the latest load are dropped. Safe to share between threads (parsing
/// runs outside the lock).
class revision_cache {
public:
  explicit revision_cache(std::string set_name);

  prepared prepare(const manifests::file_map& files,
                   const manifests::load_options& opts);

  cache_stats stats() const;

private:
  using digest = std::array<unsigned char, 32>;
  struct entry;

  std::shared_ptr<entry> parse(const std::string& path,
                               const std::string& text, const digest& sum,
                               const manifests::limits& lim) const;

  const std::string set_name_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const entry>> entries_;
  manifests::limits limits_; ///< what entries_ were parsed with
  cache_stats stats_;
};

} // namespace fluxd::sync
