#pragma once

#include <memory>

#include <git2.h>

/// unique_ptr aliases that free libgit2 objects, so no path leaks one.
namespace fluxd::git {

template <class T, void (*Free)(T*)>
struct git_deleter {
  void operator()(T* p) const {
    if (p)
      Free(p);
  }
};

template <class T, void (*Free)(T*)>
using git_ptr = std::unique_ptr<T, git_deleter<T, Free>>;

using repository_ptr = git_ptr<git_repository, git_repository_free>;
using remote_ptr = git_ptr<git_remote, git_remote_free>;
using commit_ptr = git_ptr<git_commit, git_commit_free>;
using tree_ptr = git_ptr<git_tree, git_tree_free>;
using tree_entry_ptr = git_ptr<git_tree_entry, git_tree_entry_free>;
using blob_ptr = git_ptr<git_blob, git_blob_free>;
using object_ptr = git_ptr<git_object, git_object_free>;
using reference_ptr = git_ptr<git_reference, git_reference_free>;
using revwalk_ptr = git_ptr<git_revwalk, git_revwalk_free>;
using signature_ptr = git_ptr<git_signature, git_signature_free>;
using index_ptr = git_ptr<git_index, git_index_free>;
using tag_ptr = git_ptr<git_tag, git_tag_free>;
using note_ptr = git_ptr<git_note, git_note_free>;
using odb_ptr = git_ptr<git_odb, git_odb_free>;
using odb_object_ptr = git_ptr<git_odb_object, git_odb_object_free>;

/// A git_buf that is disposed of on scope exit.
struct buffer {
  git_buf buf = GIT_BUF_INIT;
  buffer() = default;
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;
  ~buffer() { git_buf_dispose(&buf); }
  std::string str() const {
    return buf.ptr ? std::string{buf.ptr, buf.size} : std::string{};
  }
};

/// A git_strarray filled by libgit2, disposed of on scope exit.
struct strarray {
  git_strarray arr{nullptr, 0};
  strarray() = default;
  strarray(const strarray&) = delete;
  strarray& operator=(const strarray&) = delete;
  ~strarray() { git_strarray_dispose(&arr); }
};

/// libgit2's global state: init on construction, shutdown on destruction.
/// Reference counted by libgit2, so any number may exist.
class library {
public:
  library() { git_libgit2_init(); }
  ~library() { git_libgit2_shutdown(); }
  library(const library&) = delete;
  library& operator=(const library&) = delete;
};

/// Initialises libgit2 once for the process (idempotent, thread-safe), so
/// the adapter works whether or not main() holds a `library`.
inline void ensure_libgit2() {
  static library instance;
}

} // namespace fluxd::git
