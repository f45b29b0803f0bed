#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace fluxd::api {

/// A request or response body that does not match Flux v1's wire types.
/// The message names the field at fault (e.g. `spec.ServiceSpecs[1]`).
class decode_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Appends JSON exactly as Go's encoding/json writes it: no spaces, `<`, `>`
/// and `&` as \u003c \u003e \u0026, U+2028/2029 escaped, invalid UTF-8 as
/// U+FFFD. Flux v1's own fluxctl (and people's scripts) compare these bytes.
class go_json_writer {
public:
  go_json_writer& begin_object();
  go_json_writer& end_object();
  go_json_writer& begin_array();
  go_json_writer& end_array();
  go_json_writer& key(const std::string& k);
  go_json_writer& value(const std::string& s);
  go_json_writer& value(const char* s) { return value(std::string{s}); }
  go_json_writer& value(int64_t n);
  go_json_writer& value(int n) { return value(static_cast<int64_t>(n)); }
  go_json_writer& value(bool b);
  go_json_writer& null();
  /// Already-encoded JSON (e.g. a nested type's own encoding).
  go_json_writer& raw(const std::string& json);

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

private:
  void separate();
  std::string out_;
  bool need_comma_ = false;
};

/// Go's string escaping on its own (quotes included).
std::string go_quote(const std::string& s);

/// A Go time.Time as Unix nanoseconds; nullopt is the zero time.
using go_time = std::optional<int64_t>;

/// time.RFC3339Nano in UTC ("2020-03-20T13:53:05.47178071Z").
std::string format_rfc3339_nano(int64_t unix_nanos);
/// Parses RFC3339 with optional fraction and offset; throws decode_error
/// naming `field`.
int64_t parse_rfc3339(const std::string& text, const std::string& field);
/// time.RFC822 in UTC ("20 Mar 20 13:53 UTC"), as fluxctl list-images shows.
std::string format_rfc822(int64_t unix_nanos);

} // namespace fluxd::api
