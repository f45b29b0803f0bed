#pragma once

#include <random>
#include <string>

#include "adapters/git/error.hpp"
#include "adapters/git/handles.hpp"

/// Small helpers shared by the repository's .cpp files (not public API).
namespace fluxd::git::detail {

inline std::string oid_text(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

inline std::string random_hex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += digits[rng() % 16];
  return out;
}

/// "deploy/", "./deploy" and "deploy" name the same tree path; "." is "".
inline std::string normalize_path(std::string p) {
  while (!p.empty() && p.back() == '/')
    p.pop_back();
  while (p.rfind("./", 0) == 0)
    p.erase(0, 2);
  if (p == ".")
    p.clear();
  return p;
}

inline signature_ptr make_signature(const std::string& name,
                                    const std::string& email) {
  git_signature* sig = nullptr;
  check(git_signature_now(&sig, name.c_str(), email.c_str()),
        error_kind::config, "git identity '" + name + " <" + email + ">'");
  return signature_ptr{sig};
}

} // namespace fluxd::git::detail
