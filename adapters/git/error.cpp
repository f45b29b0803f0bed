#include "adapters/git/error.hpp"

#include <git2.h>

namespace fluxd::git {

const char* to_string(error_kind kind) {
  switch (kind) {
    case error_kind::other:
      return "other";
    case error_kind::unreachable:
      return "unreachable";
    case error_kind::timeout:
      return "timeout";
    case error_kind::auth:
      return "auth";
    case error_kind::host_key:
      return "host_key";
    case error_kind::branch_missing:
      return "branch_missing";
    case error_kind::path_missing:
      return "path_missing";
    case error_kind::not_found:
      return "not_found";
    case error_kind::corrupt:
      return "corrupt";
    case error_kind::non_fast_forward:
      return "non_fast_forward";
    case error_kind::push_rejected:
      return "push_rejected";
    case error_kind::signature:
      return "signature";
    case error_kind::config:
      return "config";
  }
  return "other";
}

std::string last_libgit2_error() {
  const ::git_error* e = git_error_last();
  if (e && e->message && *e->message)
    return e->message;
  return "unknown libgit2 error";
}

namespace {

bool contains(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

} // namespace

error_kind classify(int rc, int error_class, const std::string& message) {
  if (rc == GIT_ENOTFOUND)
    return error_kind::not_found;
  if (rc == GIT_ENONFASTFORWARD)
    return error_kind::non_fast_forward;
  if (rc == GIT_EAUTH)
    return error_kind::auth;
  if (rc == GIT_ECERTIFICATE)
    return error_kind::host_key;
  if (contains(message, "timed out"))
    return error_kind::timeout;
  switch (error_class) {
    case GIT_ERROR_ODB:
    case GIT_ERROR_ZLIB:
    case GIT_ERROR_INDEXER:
    case GIT_ERROR_OBJECT:
      return error_kind::corrupt;
    case GIT_ERROR_NET:
    case GIT_ERROR_OS:
      if (contains(message, "resolve") || contains(message, "connect")
          || contains(message, "refused") || contains(message, "reset"))
        return error_kind::unreachable;
      break;
    case GIT_ERROR_SSH:
      if (contains(message, "authentication")
          || contains(message, "Authentication"))
        return error_kind::auth;
      break;
    default:
      break;
  }
  if (contains(message, "failed to resolve address")
      || contains(message, "failed to connect"))
    return error_kind::unreachable;
  return error_kind::other;
}

void check(int rc, const std::string& context) {
  if (rc >= 0)
    return;
  const ::git_error* e = git_error_last();
  int klass = e ? e->klass : 0;
  auto msg = last_libgit2_error();
  throw git_failure(classify(rc, klass, msg), context + ": " + msg);
}

void check(int rc, error_kind kind, const std::string& context) {
  if (rc >= 0)
    return;
  throw git_failure(kind, context + ": " + last_libgit2_error());
}

} // namespace fluxd::git
