#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/manifests/resource.hpp"

/// Loading every manifest under the git paths (Flux v1 §7.2-7.3), except
/// that a broken file is reported on its own and the other files still load.
namespace fluxd::manifests {

/// Bounds that keep hostile input (alias bombs, huge or deep files) from
/// costing unbounded time or memory. yaml-cpp itself refuses nesting
/// deeper than 500 levels.
struct limits {
  std::size_t max_file_bytes = 8u << 20;
  /// Nodes visited per file with aliases expanded (go-yaml has a similar
  /// "excessive aliasing" guard).
  std::size_t max_nodes = 1'000'000;
};

struct load_options {
  /// Directories or files relative to the root; empty means the root.
  std::vector<std::string> paths;
  std::string default_namespace = "default";
  /// `--k8s-allow-namespace`; empty allows everything.
  std::vector<std::string> allow_namespaces;
  /// Scope lookup (API discovery); the built-in table when empty.
  scope_fn scope;
  limits lim;
};

/// A problem with one file; the other files are unaffected.
struct file_problem {
  std::string file;
  int line = 0; ///< 1-based; 0 when the whole file is at fault
  std::string message;
  std::string to_string() const;
};

struct load_result {
  std::map<std::string, resource> resources; ///< by ID
  /// Unparseable files (none of their resources are loaded) and duplicate
  /// IDs (the later definition is dropped). Callers should not garbage
  /// collect while there are errors: a broken file hides its resources.
  std::vector<file_problem> errors;
  /// Resources dropped because their scope is unknown.
  std::vector<file_problem> warnings;
  /// IDs outside the allowed namespaces (not in `resources`).
  std::vector<std::string> excluded;
  std::set<std::string> files; ///< YAML files that were read
};

/// Path → content of the files of a tree (relative paths, `/`-separated).
using file_map = std::map<std::string, std::string>;

/// Loads from an in-memory tree (what the git adapter hands over): the
/// files of manifest_paths(), each through parse_file(), then resolve().
load_result load(const file_map& files, const load_options& opts);

/// The files load() reads, in path order: YAML files under `paths` (empty
/// means the root) that are not inside a Helm chart there.
std::vector<std::string> manifest_paths(const file_map& files,
                                        const std::vector<std::string>& paths);

/// A kind that a CustomResourceDefinition defines, and its scope.
struct crd_kind {
  std::string group;
  std::string kind;
  bool namespaced = true;
};

/// One file as parsed, before the rules that need the other files (scope,
/// namespaces, duplicates): the per-file half of load(), which callers may
/// keep across revisions while the file's content stays the same.
struct parsed_file {
  std::string path;
  /// Kind-bearing objects in file order; `id` and `ns` are not set yet.
  std::vector<resource> objects;
  std::vector<crd_kind> crds; ///< defined by this file's CRDs, in order
  /// Set when the file cannot be used: then `objects` is empty.
  std::optional<file_problem> error;
};

/// Parses one file (its text, or the too-large marker of read_tree()).
parsed_file parse_file(const std::string& path, const std::string& text,
                       const limits& lim = {});

/// Where a resource kept by resolve() was read: `files[file]->objects[object]`.
struct object_origin {
  std::size_t file = 0;
  std::size_t object = 0;
};

/// The cross-file half of load() over files in path order: scope (the
/// callback, then the CRDs of all files, then the built-in table), the
/// default and allowed namespaces, duplicate IDs. Objects whose node was
/// dropped resolve the same (only their kinds, names and CRDs matter);
/// `origins`, when given, receives each kept ID's origin.
load_result resolve(const std::vector<const parsed_file*>& files,
                    const load_options& opts,
                    std::map<std::string, object_origin>* origins = nullptr);

/// Reads the YAML files (and chart markers) under `paths` of `root`.
/// Throws manifest_error `unable to read root path …` for a missing path;
/// files over the size limit are read as empty and reported by load().
file_map read_tree(const std::string& root,
                   const std::vector<std::string>& paths,
                   const limits& lim = {});

/// `.yaml` / `.yml`.
bool is_yaml_path(const std::string& path);

/// Parses a multi-document stream; throws manifest_error naming `file` and
/// the line. Documents are returned as parsed (null ones included).
std::vector<YAML::Node> parse_stream(std::string_view text,
                                     const std::string& file,
                                     const limits& lim = {});

namespace detail {

/// Whether yaml-cpp 0.7's LoadAll provably ends on `text`: the root of
/// every document is a block mapping opened at column 0 by a plain key on
/// its first line (`apiVersion: v1`), after blank and comment lines only.
/// Such a mapping stays open to the next `---`/`...` line or the end, so no
/// token is left between documents that LoadAll would loop on (a stray
/// `,` or `? `: jbeder/yaml-cpp#1040). `false` proves nothing.
bool roots_are_block_maps(std::string_view text);

/// Whether the node limit (and the alias-cycle check) cannot trip on
/// `text`: it has no alias (no `*`), so no cycle, and is short enough. A
/// node needs bytes of its own but for a few nulls: a lone `:` makes a
/// map, a null key and a null value; we allow 8 nodes per byte
/// (loader_guard_test measures generated texts against that).
bool nodes_provably_within(std::string_view text, const limits& lim);

/// parse_stream() the slow way: a guarding event pass, then LoadAll.
/// parse_stream() takes one pass where this proves needless; tests hold the
/// two to identical results.
std::vector<YAML::Node> parse_stream_guarded(std::string_view text,
                                             const std::string& file,
                                             const limits& lim = {});

} // namespace detail

/// Whether `--k8s-allow-namespace` admits a resource (§7.10).
bool namespace_allowed(const resource& r,
                       const std::vector<std::string>& allow);

/// String annotations of an object (non-string values are skipped).
std::map<std::string, std::string> annotations_of(const YAML::Node& obj);

} // namespace fluxd::manifests
