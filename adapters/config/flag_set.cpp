#include "adapters/config/flag_set.hpp"

#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace fluxd::config {

namespace {

std::string quote(const std::string& s) {
  return "\"" + s + "\"";
}

std::string kind_name(flag_kind k) {
  switch (k) {
    case flag_kind::boolean:
      return "";
    case flag_kind::string:
      return "string";
    case flag_kind::integer:
      return "int";
    case flag_kind::number:
      return "float";
    case flag_kind::duration:
      return "duration";
    case flag_kind::list:
      return "strings";
  }
  return "";
}

bool parse_bool(const std::string& v) {
  // strconv.ParseBool's accepted spellings.
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE"
      || v == "True")
    return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE"
      || v == "False")
    return false;
  throw std::invalid_argument("strconv.ParseBool: parsing " + quote(v)
                              + ": invalid syntax");
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

} // namespace

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(value);
  while (std::getline(in, item, ',')) {
    item = trim(item);
    if (!item.empty())
      out.push_back(item);
  }
  return out;
}

void flag_set::add(flag_def def) {
  if (by_name_.count(def.name))
    throw std::logic_error("flag redefined: " + def.name);
  by_name_[def.name] = defs_.size();
  defs_.push_back(std::move(def));
}

void flag_set::add_bool(const std::string& name, bool& target,
                        std::string group, std::string help, char shorthand) {
  flag_def d;
  d.name = name;
  d.shorthand = shorthand;
  d.kind = flag_kind::boolean;
  d.group = std::move(group);
  d.help = std::move(help);
  d.default_text = target ? "true" : "false";
  d.set = [&target](const std::string& v) { target = parse_bool(v); };
  add(std::move(d));
}

void flag_set::add_string(const std::string& name, std::string& target,
                          std::string group, std::string help,
                          char shorthand) {
  flag_def d;
  d.name = name;
  d.shorthand = shorthand;
  d.kind = flag_kind::string;
  d.group = std::move(group);
  d.help = std::move(help);
  d.default_text = quote(target);
  d.set = [&target](const std::string& v) { target = v; };
  add(std::move(d));
}

void flag_set::add_int(const std::string& name, int& target, std::string group,
                       std::string help) {
  flag_def d;
  d.name = name;
  d.kind = flag_kind::integer;
  d.group = std::move(group);
  d.help = std::move(help);
  d.default_text = std::to_string(target);
  d.set = [&target](const std::string& v) {
    errno = 0;
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 0);
    if (v.empty() || *end != '\0' || errno == ERANGE || n < INT32_MIN
        || n > INT32_MAX)
      throw std::invalid_argument("strconv.ParseInt: parsing " + quote(v)
                                  + ": invalid syntax");
    target = static_cast<int>(n);
  };
  add(std::move(d));
}

void flag_set::add_double(const std::string& name, double& target,
                          std::string group, std::string help) {
  flag_def d;
  d.name = name;
  d.kind = flag_kind::number;
  d.group = std::move(group);
  d.help = std::move(help);
  std::ostringstream os;
  os << target;
  d.default_text = os.str();
  d.set = [&target](const std::string& v) {
    errno = 0;
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || errno == ERANGE)
      throw std::invalid_argument("strconv.ParseFloat: parsing " + quote(v)
                                  + ": invalid syntax");
    target = x;
  };
  add(std::move(d));
}

void flag_set::add_duration(const std::string& name, duration& target,
                            std::string group, std::string help) {
  flag_def d;
  d.name = name;
  d.kind = flag_kind::duration;
  d.group = std::move(group);
  d.help = std::move(help);
  d.default_text = format_duration(target);
  d.set = [&target](const std::string& v) { target = parse_duration(v); };
  add(std::move(d));
}

void flag_set::add_list(const std::string& name,
                        std::vector<std::string>& target, std::string group,
                        std::string help) {
  flag_def d;
  d.name = name;
  d.kind = flag_kind::list;
  d.group = std::move(group);
  d.help = std::move(help);
  std::string text = "[";
  for (size_t i = 0; i < target.size(); ++i)
    text += (i ? "," : "") + target[i];
  d.default_text = text + "]";
  d.set = [&target](const std::string& v) {
    for (auto& item : split_list(v))
      target.push_back(item);
  };
  d.clear = [&target] { target.clear(); };
  add(std::move(d));
}

void flag_set::deprecate(const std::string& name, std::string message) {
  auto i = by_name_.find(name);
  if (i == by_name_.end())
    throw std::logic_error("deprecate: no flag " + name);
  defs_[i->second].deprecated = std::move(message);
}

const flag_def* flag_set::find(const std::string& name) const {
  auto i = by_name_.find(name);
  return i == by_name_.end() ? nullptr : &defs_[i->second];
}

const flag_def* flag_set::find_short(char c) const {
  for (auto& d : defs_)
    if (d.shorthand == c)
      return &d;
  return nullptr;
}

void flag_set::assign(const flag_def& def, const std::string& value) {
  if (def.kind == flag_kind::list && !changed_.count(def.name) && def.clear)
    def.clear();
  try {
    def.set(value);
  } catch (const std::exception& e) {
    throw flag_error("invalid argument " + quote(value) + " for "
                     + quote("--" + def.name) + " flag: " + e.what());
  }
  if (!def.deprecated.empty() && !changed_.count(def.name))
    warnings_.push_back("Flag --" + def.name + " has been deprecated, "
                        + def.deprecated);
  changed_.insert(def.name);
}

std::vector<std::string> flag_set::parse(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  warnings_.clear();
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
      auto body = arg.substr(2);
      auto eq = body.find('=');
      auto name = body.substr(0, eq);
      const auto* def = find(name);
      if (!def)
        throw flag_error("unknown flag: --" + name);
      if (eq != std::string::npos) {
        assign(*def, body.substr(eq + 1));
      } else if (def->kind == flag_kind::boolean) {
        assign(*def, "true");
      } else if (i + 1 < args.size()) {
        assign(*def, args[++i]);
      } else {
        throw flag_error("flag needs an argument: --" + name);
      }
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-' && arg[1] != '-') {
      const auto* def = find_short(arg[1]);
      if (!def)
        throw flag_error("unknown shorthand flag: '" + std::string(1, arg[1])
                         + "' in " + arg);
      if (arg.size() > 2) {
        auto rest = arg.substr(2);
        if (rest[0] == '=')
          rest = rest.substr(1);
        assign(*def, rest);
      } else if (def->kind == flag_kind::boolean) {
        assign(*def, "true");
      } else if (i + 1 < args.size()) {
        assign(*def, args[++i]);
      } else {
        throw flag_error("flag needs an argument: '" + std::string(1, arg[1])
                         + "' in -" + std::string(1, arg[1]));
      }
      continue;
    }
    positional.push_back(arg);
  }
  return positional;
}

std::string flag_set::usage() const {
  std::vector<std::string> groups;
  for (auto& d : defs_) {
    bool seen = false;
    for (auto& g : groups)
      seen = seen || g == d.group;
    if (!seen)
      groups.push_back(d.group);
  }
  std::ostringstream out;
  out << "Usage of " << program_ << ":\n";
  for (auto& g : groups) {
    out << "\n" << g << ":\n";
    for (auto& d : defs_) {
      if (d.group != g)
        continue;
      std::string left = "  ";
      left += d.shorthand ? std::string{"-"} + d.shorthand + ", " : "    ";
      left += "--" + d.name;
      auto type = kind_name(d.kind);
      if (!type.empty())
        left += " " + type;
      out << left;
      if (left.size() < 40)
        out << std::string(40 - left.size(), ' ');
      else
        out << "\n" << std::string(40, ' ');
      out << d.help;
      bool zero = d.default_text == "false" || d.default_text == "\"\""
                  || d.default_text == "[]" || d.default_text == "0"
                  || d.default_text == "0s";
      if (!zero)
        out << " (default " << d.default_text << ")";
      if (!d.deprecated.empty())
        out << " (DEPRECATED: " << d.deprecated << ")";
      out << "\n";
    }
  }
  return out.str();
}

} // namespace fluxd::config
