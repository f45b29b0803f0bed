#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/image/ref.hpp"
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
  /// Of `reused`: files another call was parsing, waited for.
  std::size_t waited = 0;
  std::size_t waiting = 0; ///< calls waiting for such a file now
};

/// One object of a cached file as sync::prepare() made it for `ns` (the
/// rest of a prepared_object is the resource's header).
struct object_form {
  bool made = false; ///< false until made for some namespace
  std::string ns;
  std::string object; ///< JSON text, when `error` is empty
  std::string checksum;
  int rank = 4;
  bool ignore_in_file = false;
  std::string error; ///< what sync::prepare() threw
};

/// A container of a workload, as the automation keeps it.
struct named_image {
  std::string name;
  image::ref image;
};

/// A file as the cache keeps it, shared and never written once another
/// call can see it: its objects' headers (the YAML nodes are dropped) and,
/// per object, what the sync and the automation take from the tree.
struct cached_file {
  std::array<unsigned char, 32> sum{}; ///< SHA-256 of the text
  manifests::parsed_file file;         ///< objects without nodes
  std::vector<object_form> forms;      ///< parallel to file.objects
  /// Parallel to file.objects: manifests::containers_of() of workloads.
  std::vector<std::vector<named_image>> containers;
  std::size_t bytes = 0;
};

using cached_files = std::vector<std::shared_ptr<const cached_file>>;

/// prepare_all() that re-parses only files whose content is new, shared
/// by the sync and the automation (files()), so that a revision's file is
/// parsed once for both. Each file is kept by path with a SHA-256 of its
/// content and a compact form (cached_file); no YAML or JSON trees. An
/// object whose namespace changed (flags, discovery) or that was never
/// prepared has its file parsed again. Files absent from the latest call
/// are dropped.
///
/// Thread-safe. A call parses the files it must on up to `threads` threads
/// of its own, each tree dropped as soon as its file is read. A file that
/// another call is parsing (same path, content and limits) is not parsed
/// twice: a call marks the files it claims as in flight, parses them, then
/// waits for those the other call claimed. A call never waits before its
/// own claims are done, so two calls cannot wait on each other.
class revision_cache {
public:
  /// `threads` 0: hardware_concurrency(), at most 4.
  explicit revision_cache(std::string set_name, unsigned threads = 0);

  prepared prepare(const manifests::file_map& files,
                   const manifests::load_options& opts);

  /// The files load(files, opts) reads, in manifest_paths() order, for
  /// callers that resolve() them themselves (the automation). Only
  /// `opts.paths` and `opts.lim` matter.
  cached_files files(const manifests::file_map& files,
                     const manifests::load_options& opts);

  /// Files that files() parses are also made into the sync's forms, for
  /// this default namespace and the built-in scopes (default_scope()), so
  /// the sync does not parse them again when it comes second. Objects of
  /// other kinds, or in another namespace than guessed, still are.
  void premake_for(std::string default_namespace);

  const std::string& set_name() const { return set_name_; }
  cache_stats stats() const;

private:
  using digest = std::array<unsigned char, 32>;
  struct flight;
  struct call;

  void gather(call& c, const std::vector<std::string>& paths);
  void work(call& c, std::size_t i, const std::shared_ptr<flight>& f);
  void install(call& c);

  const std::string set_name_;
  const unsigned threads_;
  mutable std::mutex mutex_;
  std::condition_variable landed_; ///< a file in flight was published
  std::map<std::string, std::shared_ptr<const cached_file>> entries_;
  std::map<std::string, std::shared_ptr<flight>> in_flight_;
  manifests::limits limits_; ///< what entries_ were parsed with
  std::optional<std::string> premake_ns_;
  cache_stats stats_;
};

} // namespace fluxd::sync
