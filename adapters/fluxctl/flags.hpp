#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace fluxd::fluxctl {

/// A command line fluxctl cannot accept; printed as `Error: <msg>`.
class usage_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A small pflag: `--name=v`, `--name v`, `-n v`, `-nv`, `-vv` (counts),
/// bool flags with optional `=false`, string slices repeatable and
/// comma-separated, `--` ends the flags.
class flag_set {
public:
  enum class kind { boolean, string, count, slice };

  void add(const std::string& name, char shorthand, kind k,
           std::string def = {}, std::string usage = {});
  /// Parses `args`, returns the positional arguments.
  std::vector<std::string> parse(const std::vector<std::string>& args);

  std::string str(const std::string& name) const;
  bool boolean(const std::string& name) const;
  int count(const std::string& name) const;
  std::vector<std::string> slice(const std::string& name) const;
  bool changed(const std::string& name) const;
  /// Sets a value as if given (for environment fallbacks).
  void set_default(const std::string& name, const std::string& value);

  /// `  -n, --namespace string   usage` lines for help.
  std::string usage() const;

  /// One flag as declared, for generated documentation.
  struct description {
    std::string name;
    char shorthand;
    kind k;
    std::string def;
    std::string usage;
  };
  /// Every flag, by name.
  std::vector<description> describe() const;

private:
  struct flag {
    char shorthand = 0;
    kind k = kind::string;
    std::string def;
    std::string usage;
    std::vector<std::string> values;
    bool changed = false;
  };
  flag& lookup(const std::string& name);
  void set(const std::string& name, flag& f, const std::string& value);
  std::map<std::string, flag> flags_;
};

} // namespace fluxd::fluxctl
