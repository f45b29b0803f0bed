#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/registry/client.hpp"

/// fluxd's embedded, persistent image metadata cache: one JSON file per
/// canonical repository under `<state-dir>/registry/`, replaced atomically
/// (temp file, fsync, rename, fsync dir) so a crash leaves either the old
/// or the new file, never half of one. A restart reads it back and asks
/// registries only for tags it does not know or whose refresh is due.
namespace fluxd::registry {

struct tag_record {
  image_info info;
  time_point fetched_at{};
  time_point refresh_after{};
  std::chrono::seconds refresh_interval{0};
};

struct repository_record {
  std::string canonical;         ///< index.docker.io/library/alpine
  std::vector<std::string> tags; ///< every listed tag, sorted
  std::map<std::string, tag_record> images; ///< only tags with metadata
  time_point last_update{};      ///< last complete tag listing
  std::string last_error;
};

class metadata_cache {
public:
  /// Creates `<state_dir>/registry` when missing; throws
  /// registry_error(storage) naming the directory when it cannot.
  explicit metadata_cache(std::string state_dir);

  /// nullopt when nothing is stored; throws registry_error(storage) naming
  /// the file when it is unreadable or corrupt (callers start afresh).
  std::optional<repository_record> load(const std::string& canonical) const;
  void store(const repository_record& record);
  void remove(const std::string& canonical);
  /// Canonical names of every stored repository.
  std::vector<std::string> repositories() const;

  std::string path_for(const std::string& canonical) const;
  const std::string& directory() const { return dir_; }

  /// The JSON form (exposed for tests and fluxctl debugging).
  static std::string to_json(const repository_record& record);
  static repository_record from_json(const std::string& text,
                                     const std::string& origin);

private:
  std::string dir_;
};

/// Writes `content` to `path` crash-safely (temp + fsync + rename + fsync
/// of the directory). Throws registry_error(storage) naming the path.
void write_file_atomically(const std::string& path, const std::string& content);

} // namespace fluxd::registry
