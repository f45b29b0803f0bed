#pragma once

#include <string>
#include <string_view>

#include "tests/kube_emulator/types.hpp"

/// Small helpers on Kubernetes objects held as Boost.JSON values.
namespace kube_emulator {

/// The member `key` of `o` when it is an object, else nullptr.
const json::object* child(const json::object& o, std::string_view key);
json::object* child(json::object& o, std::string_view key);
/// The member `key` of `o`, created as an empty object when missing or not
/// an object.
json::object& child_or_create(json::object& o, std::string_view key);
/// The string at `key`, or "" when missing or not a string.
std::string str(const json::object& o, std::string_view key);
/// `metadata.<key>` as a string, or "".
std::string meta_str(const json::object& o, std::string_view key);

/// RFC 3339 UTC time, seconds precision ("2026-01-02T03:04:05Z").
std::string now_rfc3339();
/// A random RFC 4122 version 4 UUID.
std::string new_uid();
/// A random suffix for generateName (5 lowercase letters and digits).
std::string random_suffix();

/// Deepest nesting accepted in bodies (CRD schemas nest deeply; Boost.JSON's
/// default of 32 is too shallow).
inline constexpr std::size_t max_depth = 1000;

/// JSON with max_depth.
json::value parse_json(const std::string& text, boost::system::error_code& ec);

/// Parses a request body: JSON, or YAML (which includes JSON); throws
/// api_error 400 naming the problem.
json::value parse_body(const std::string& body, std::string_view what);

/// Converts a YAML document to JSON values (sigs.k8s.io/yaml rules for the
/// common cases: plain scalars become numbers, booleans and null).
json::value yaml_to_json(const std::string& text);

/// True when the two objects differ outside metadata and status: the rule
/// for bumping metadata.generation.
bool spec_changed(const json::object& before, const json::object& after);

/// Validates a new or updated object for its kind; throws api_error 422.
void validate(const resource_type& type, const json::object& obj);

/// Rejects changes to immutable fields (workload selectors, Job templates,
/// Service clusterIP); throws api_error 422.
void validate_update(const resource_type& type, const json::object& before,
                     const json::object& after);

/// Fills server-side defaults (Deployment replicas, Service clusterIP, …).
void apply_defaults(const resource_type& type, json::object& obj);

/// The JSON text of `v`.
inline std::string to_text(const json::value& v) {
  return json::serialize(v);
}

} // namespace kube_emulator
