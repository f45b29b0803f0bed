#pragma once

#include <stdexcept>
#include <string>

namespace fluxd::api {

/// A workload ID or spec that Flux v1's resource.ParseID would refuse.
class id_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Parses `ns:kind/name`, `<cluster>:kind/name` or legacy `ns/name` and
/// returns its canonical form (kind lower-cased); throws id_error with Flux
/// v1's text (`parsing <s>: invalid service ID`).
std::string parse_id(const std::string& s);

/// An ID or "<all>"; errors read `invalid workload spec: parsing ...`.
std::string parse_resource_spec(const std::string& s);

/// True for Flux v1's nine Container field names (containerFields).
bool is_container_field(const std::string& name);

} // namespace fluxd::api
