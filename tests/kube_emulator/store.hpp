#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tests/kube_emulator/resources.hpp"
#include "tests/kube_emulator/selectors.hpp"
#include "tests/kube_emulator/types.hpp"

namespace kube_emulator {

/// An object's JSON, rendered by the first reader (a watcher or the
/// write's reply) and shared by the rest; nobody watches most controller
/// writes (pods, ReplicaSets), so they are never rendered.
class object_text {
public:
  explicit object_text(object_ptr obj) : obj_(std::move(obj)) {}
  const std::string& get() const {
    std::call_once(once_, [this] { text_ = json::serialize(*obj_); });
    return text_;
  }

private:
  object_ptr obj_;
  mutable std::once_flag once_;
  mutable std::string text_;
};

/// One change, as watch streams see it.
struct watch_event {
  std::uint64_t rv;
  std::string_view type; ///< ADDED, MODIFIED, DELETED (literals)
  /// group_resource() of the object's kind: the key of its feed, which
  /// stays put (copying events to watchers copies no strings).
  const std::string* resource;
  object_ptr object;
  object_ptr old; ///< state before a MODIFIED, for selector transitions
  /// `object` as JSON, rendered once for every watcher.
  std::shared_ptr<const object_text> text;
};

/// The body of a list: the items of one page and where to go on.
struct list_page {
  std::vector<object_ptr> items;
  std::uint64_t rv = 0;
  std::string continue_token;
  std::size_t remaining = 0;
};

struct delete_options {
  std::string propagation = "Background"; ///< Orphan, Background, Foreground
  std::string precondition_uid;
  std::string precondition_rv;
  bool dry_run = false;
};

/// A write's outcome: the stored object (or what would be) and the HTTP code.
struct write_result {
  object_ptr object;
  int code = 200;
};

/// All objects, the one resourceVersion counter, the event log that watches
/// read from, and the served kinds. Every member function is thread-safe
/// (one mutex: writes are short, and serialisation happens outside it).
class store {
public:
  struct options {
    std::string state_file; ///< "" keeps everything in memory
    std::size_t event_log_size = 10000;
  };

  explicit store(options opts);

  // -- kinds
  // -------------------------------------------------------------------

  std::optional<resource_type> find(const std::string& group,
                                    const std::string& version,
                                    const std::string& plural) const;
  /// Runs `f(registry)` under the lock (discovery, OpenAPI).
  template <class F>
  auto with_registry(F f) const {
    std::lock_guard<std::mutex> guard{mutex_};
    return f(registry_);
  }

  // -- reads
  // -------------------------------------------------------------------

  object_ptr get(const resource_type& type, const std::string& ns,
                 const std::string& name) const;
  list_page list(const resource_type& type, const std::string& ns,
                 const selector& labels, const selector& fields,
                 std::size_t limit, const std::string& continue_token) const;
  std::uint64_t resource_version() const;
  /// `obj` as JSON when it was written a moment ago (the text its watch
  /// event carries), else nullptr: a write's reply need not serialise the
  /// object a second time.
  std::shared_ptr<const object_text> recent_text(const object_ptr& obj) const;

  // -- writes (body parsing done by the caller) ------------------------------

  write_result create(const resource_type& type, const std::string& ns,
                      json::object body, const write_options& opts);
  write_result update(const resource_type& type, const std::string& ns,
                      const std::string& name, json::object body,
                      const std::string& subresource,
                      const write_options& opts);
  /// `patch_type` is the Content-Type: json-patch, merge-patch,
  /// strategic-merge-patch or apply-patch (SSA).
  write_result patch(const resource_type& type, const std::string& ns,
                     const std::string& name, const std::string& patch_type,
                     json::value body, const std::string& subresource,
                     const write_options& opts);
  /// Returns the deleted object (or the object marked for deletion, with
  /// `code` 200) and whether it is gone.
  write_result remove(const resource_type& type, const std::string& ns,
                      const std::string& name, const delete_options& opts,
                      bool& gone);
  std::vector<object_ptr> remove_collection(const resource_type& type,
                                            const std::string& ns,
                                            const selector& labels,
                                            const delete_options& opts);

  /// Changes an object's status as a controller would; `change` returns
  /// false to leave it alone. No-op when the object's uid differs.
  /// Returns the object as changed, or nullptr when left alone.
  object_ptr update_status(const std::string& resource, const std::string& key,
                     const std::string& uid,
                     const std::function<bool(json::object&)>& change);

  /// Makes the objects of `child_kind` ("replicasets.apps", "pods") that
  /// name `owner_uid` in their ownerReferences exactly `want` (matched by
  /// namespace/name): creates what is missing (status included), updates
  /// what differs, deletes the rest with their own dependents. The
  /// controllers' way of keeping ReplicaSets and Pods.
  /// Returns the children as stored, in `want`'s order.
  std::vector<object_ptr> sync_children(const std::string& child_kind,
                                        const std::string& owner_uid,
                                        std::vector<json::object> want);

  // -- watch
  // -------------------------------------------------------------------

  /// The current objects of a kind (for a watch from resourceVersion 0) and
  /// the resourceVersion they are at.
  std::vector<object_ptr> snapshot(const resource_type& type,
                                   const std::string& ns,
                                   std::uint64_t& rv) const;
  /// Waits up to `wait` for events of `resource` after `rv`, appends them and
  /// advances `rv`. Returns false when `rv` is older than the event log
  /// keeps (410 Gone). `stopped` turns true on shutdown.
  bool wait_events(const std::string& resource, std::uint64_t& rv,
                   std::vector<watch_event>& out,
                   std::chrono::milliseconds wait, bool& stopped);
  /// The oldest resourceVersion a watch may start from.
  std::uint64_t oldest_watchable() const;

  // -- lifecycle
  // ---------------------------------------------------------------

  /// Called under the lock after a workload's generation changed (or it was
  /// created): the rollout controller's trigger.
  void on_workload_change(
      std::function<void(const resource_type&, const json::object&)> fn);
  /// Removes namespaces marked for deletion, with their content (the
  /// namespace controller's job); called periodically.
  void reap_namespaces();
  /// Wakes every watcher and makes them end.
  void shut_down();
  /// Writes the state file if anything changed (no-op without one).
  void save();

private:
  using bucket = std::map<std::string, object_ptr>; ///< "ns/name" → object
  struct commit_args;

  static std::string key_of(const std::string& ns, const std::string& name) {
    return ns + "/" + name;
  }
  bucket& bucket_for(const resource_type& type) {
    return objects_[type.group_resource()];
  }
  object_ptr find_locked(const resource_type& type, const std::string& ns,
                         const std::string& name) const;
  void require_namespace(const resource_type& type,
                         const std::string& ns) const;
  /// Stamps a new resourceVersion, stores (or erases) and logs the event.
  object_ptr commit(const resource_type& type, json::object next,
                    const char* event, object_ptr old, bool dry_run);
  object_ptr finish_write(const resource_type& type, object_ptr old,
                          json::object next, const write_options& opts,
                          const std::string& subresource);
  object_ptr create_locked(const resource_type& type, const std::string& ns,
                           json::object body, const write_options& opts,
                           bool record_fields,
                           json::value* managed_fields = nullptr);
  write_result remove_locked(const resource_type& type, object_ptr old,
                             const delete_options& opts, bool& gone);
  void cascade_locked(const std::string& uid, const delete_options& opts);
  /// The objects whose ownerReferences name `uid` (of one group_resource,
  /// or of all when it is empty), from the owner index: a controller's
  /// lookup of its children must not scan every pod in the store.
  std::vector<std::pair<std::string, object_ptr>>
  owned_locked(const std::string& uid, const std::string& group_resource);
  void index_owners(const std::string& group_resource, const std::string& key,
                    const json::object* before, const json::object* after);
  const resource_type* type_of(const json::object& obj) const;
  void load();

  options opts_;
  mutable std::mutex mutex_;
  resource_registry registry_;
  std::map<std::string, bucket> objects_; ///< group_resource → bucket
  /// owner uid → (group_resource, key) of the objects naming it; hashed:
  /// every controller write looks its owner up.
  std::unordered_map<std::string,
                     std::set<std::pair<std::string, std::string>>>
      owners_;
  std::uint64_t rv_ = 0;
  std::deque<watch_event> events_;
  /// The newest event of one kind, and the watchers of that kind waiting
  /// for the next: a write wakes only the watches of its own kind.
  struct feed {
    std::uint64_t last_rv = 0;
    std::condition_variable changed;
  };
  std::map<std::string, feed> feeds_; ///< group_resource → feed
  std::uint64_t oldest_ = 0; ///< watches may start at rv >= oldest_
  std::map<std::string, std::chrono::steady_clock::time_point>
      terminating_since_; ///< namespace key → first seen Terminating
  bool stopped_ = false;
  bool dirty_ = false;
  std::function<void(const resource_type&, const json::object&)> on_workload_;
};

/// The group_resource keys of the kinds the rollout controller watches.
bool is_workload(const resource_type& type);

} // namespace kube_emulator
