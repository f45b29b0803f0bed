#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

/// Structured, thread-safe logging in Flux v1's shape: one line per event,
/// `ts=… caller=… component=… msg=… key=value…` as logfmt, or the same keys as
/// JSON. Values that look like secrets are redacted before they are written.
namespace fluxd::log {

enum class level { debug, info, warn, error };
enum class format { logfmt, json };

/// One key/value pair of a log line. Numbers are formatted by the caller.
struct field {
  field(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
  field(std::string k, const char* v) : key(std::move(k)), value(v ? v : "") {}
  field(std::string k, std::string_view v) : key(std::move(k)), value(v) {}
  template <class Int, class = std::enable_if_t<std::is_arithmetic_v<Int>>>
  field(std::string k, Int v) : key(std::move(k)), value(std::to_string(v)) {}
  field(std::string k, bool v) : key(std::move(k)), value(v ? "true" : "false") {}
  std::string key;
  std::string value;
};

using fields = std::vector<field>;

/// Where finished lines go; the default writes to stderr.
using sink_fn = std::function<void(std::string_view line)>;

/// Process-wide settings; safe to call at any time.
void configure(format fmt, level min_level);
void set_sink(sink_fn sink); ///< nullptr restores stderr
format current_format();
level parse_level(std::string_view text, level fallback);

/// Replaces secrets: passwords in URLs, and whole values of keys that name
/// a credential (token, password, secret, authorization, …).
std::string redact_value(std::string_view key, std::string_view value);

/// Renders one line without writing it (used by the logger and tests).
std::string render(format fmt, std::string_view ts, std::string_view caller,
                   level lvl, std::string_view component,
                   std::string_view msg, const fields& fs);

/// A logger bound to one component (one per actor or adapter instance).
class logger {
public:
  explicit logger(std::string component, fields context = {});

  /// Returns a logger with extra fields on every line (go-kit's log.With).
  logger with(fields extra) const;

  void debug(std::string_view msg, fields fs = {},
             const char* file = __builtin_FILE(),
             int line = __builtin_LINE()) const;
  void info(std::string_view msg, fields fs = {},
            const char* file = __builtin_FILE(),
            int line = __builtin_LINE()) const;
  void warn(std::string_view msg, fields fs = {},
            const char* file = __builtin_FILE(),
            int line = __builtin_LINE()) const;
  void error(std::string_view msg, fields fs = {},
             const char* file = __builtin_FILE(),
             int line = __builtin_LINE()) const;

  const std::string& component() const { return component_; }

private:
  void write(level lvl, std::string_view msg, fields fs, const char* file,
             int line) const;

  std::string component_;
  fields context_;
};

} // namespace fluxd::log
