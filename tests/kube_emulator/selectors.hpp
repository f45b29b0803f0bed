#pragma once

#include <string>
#include <vector>

#include "tests/kube_emulator/types.hpp"

namespace kube_emulator {

/// A parsed `labelSelector` or `fieldSelector`: requirements joined by AND.
class selector {
public:
  /// An empty selector matches everything.
  selector() = default;

  /// Parses the label selector grammar (`k=v`, `k!=v`, `k`, `!k`,
  /// `k in (a,b)`, `k notin (a,b)`); throws api_error 400.
  static selector labels(const std::string& text);
  /// Parses a field selector (`path=v`, `path==v`, `path!=v`).
  static selector fields(const std::string& text);

  bool matches(const json::object& obj) const;
  bool empty() const { return reqs_.empty(); }

private:
  enum class op { eq, ne, in, notin, exists, not_exists };
  struct requirement {
    std::string key;
    op operation;
    std::vector<std::string> values;
  };

  bool on_fields_ = false;
  std::vector<requirement> reqs_;
};

} // namespace kube_emulator
