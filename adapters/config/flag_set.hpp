#pragma once

#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/config/duration.hpp"

namespace fluxd::config {

/// A command line that cannot be accepted; the message names the flag and
/// what was expected, in pflag's words.
class flag_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

enum class flag_kind { boolean, string, integer, number, duration, list };

/// One flag: its name, help, group and how to store a value. Flags are data,
/// so `--help` and the generated configuration reference come from the same
/// table as the parser.
struct flag_def {
  std::string name;
  char shorthand = 0;
  flag_kind kind = flag_kind::string;
  std::string group;
  std::string default_text; ///< shown in help, as Go would print it
  std::string help;
  std::string deprecated; ///< non-empty: accepted, with this warning
  /// Stores one value; throws flag_error/std::invalid_argument on bad input.
  std::function<void(const std::string&)> set;
  /// Lists: the first explicit value replaces the default, later ones append.
  std::function<void()> clear;
};

/// GNU/pflag-style parser: `--flag=value`, `--flag value`, `--bool`,
/// `--bool=false`, `-x value`, `-xvalue`, comma-separated and repeated lists,
/// `--` to end flags. Unknown flags and bad values are errors.
class flag_set {
public:
  explicit flag_set(std::string program) : program_(std::move(program)) {}

  void add(flag_def def);

  void add_bool(const std::string& name, bool& target, std::string group,
                std::string help, char shorthand = 0);
  void add_string(const std::string& name, std::string& target,
                  std::string group, std::string help, char shorthand = 0);
  void add_int(const std::string& name, int& target, std::string group,
               std::string help);
  void add_double(const std::string& name, double& target, std::string group,
                  std::string help);
  void add_duration(const std::string& name, duration& target,
                    std::string group, std::string help);
  void add_list(const std::string& name, std::vector<std::string>& target,
                std::string group, std::string help);

  /// Marks an already added flag as deprecated.
  void deprecate(const std::string& name, std::string message);

  /// Parses argv (without argv[0]); returns positional arguments.
  std::vector<std::string> parse(const std::vector<std::string>& args);

  /// Whether the flag was given on the command line.
  bool changed(const std::string& name) const {
    return changed_.count(name) > 0;
  }

  /// Deprecation warnings produced by the last parse.
  const std::vector<std::string>& warnings() const { return warnings_; }

  const std::vector<flag_def>& flags() const { return defs_; }

  /// Help text grouped by flag group, in the order groups were first used.
  std::string usage() const;

private:
  const flag_def* find(const std::string& name) const;
  const flag_def* find_short(char c) const;
  void assign(const flag_def& def, const std::string& value);

  std::string program_;
  std::vector<flag_def> defs_;
  std::map<std::string, size_t> by_name_;
  std::set<std::string> changed_;
  std::vector<std::string> warnings_;
};

/// Splits "a,b,,c" into {"a","b","c"} after trimming spaces (pflag's
/// StringSlice reads CSV; fluxd's list values never contain commas).
std::vector<std::string> split_list(const std::string& value);

} // namespace fluxd::config
