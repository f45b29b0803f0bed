#include "adapters/fluxctl/flags.hpp"

#include <sstream>

namespace fluxd::fluxctl {

void flag_set::add(const std::string& name, char shorthand, kind k,
                   std::string def, std::string usage) {
  auto& f = flags_[name];
  f.shorthand = shorthand;
  f.k = k;
  f.def = std::move(def);
  f.usage = std::move(usage);
}

flag_set::flag& flag_set::lookup(const std::string& name) {
  auto it = flags_.find(name);
  if (it == flags_.end())
    throw usage_error("unknown flag: --" + name);
  return it->second;
}

void flag_set::set(const std::string& name, flag& f, const std::string& v) {
  f.changed = true;
  switch (f.k) {
    case kind::boolean:
      if (v != "true" && v != "false" && v != "1" && v != "0")
        throw usage_error("invalid argument \"" + v + "\" for \"--" + name
                          + "\" flag: strconv.ParseBool: parsing \"" + v
                          + "\": invalid syntax");
      f.values = {v == "true" || v == "1" ? "true" : "false"};
      break;
    case kind::count:
      f.values.push_back("1");
      break;
    case kind::slice: {
      std::stringstream ss(v);
      std::string part;
      while (std::getline(ss, part, ','))
        f.values.push_back(part);
      break;
    }
    case kind::string:
      f.values = {v};
      break;
  }
}

std::vector<std::string> flag_set::parse(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (a.rfind("--", 0) == 0) {
      auto eq = a.find('=');
      auto name =
          a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      auto& f = lookup(name);
      if (eq != std::string::npos) {
        set(name, f, a.substr(eq + 1));
      } else if (f.k == kind::boolean || f.k == kind::count) {
        set(name, f, "true");
      } else {
        if (i + 1 >= args.size())
          throw usage_error("flag needs an argument: --" + name);
        set(name, f, args[++i]);
      }
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      for (size_t k = 1; k < a.size(); ++k) {
        auto it = flags_.begin();
        for (; it != flags_.end(); ++it)
          if (it->second.shorthand == a[k])
            break;
        if (it == flags_.end())
          throw usage_error(std::string("unknown shorthand flag: '") + a[k]
                            + "' in " + a);
        auto& f = it->second;
        if (f.k == kind::boolean || f.k == kind::count) {
          if (k + 1 < a.size() && a[k + 1] == '=') {
            set(it->first, f, a.substr(k + 2));
            break;
          }
          set(it->first, f, "true");
          continue;
        }
        auto rest = a.substr(k + 1);
        if (!rest.empty() && rest[0] == '=')
          rest = rest.substr(1);
        if (rest.empty()) {
          if (i + 1 >= args.size())
            throw usage_error(std::string("flag needs an argument: '") + a[k]
                              + "' in -" + a[k]);
          rest = args[++i];
        }
        set(it->first, f, rest);
        break;
      }
      continue;
    }
    positional.push_back(a);
  }
  return positional;
}

std::string flag_set::str(const std::string& name) const {
  auto& f = flags_.at(name);
  return f.values.empty() ? f.def : f.values.back();
}

bool flag_set::boolean(const std::string& name) const {
  return str(name) == "true";
}

int flag_set::count(const std::string& name) const {
  return static_cast<int>(flags_.at(name).values.size());
}

std::vector<std::string> flag_set::slice(const std::string& name) const {
  return flags_.at(name).values;
}

bool flag_set::changed(const std::string& name) const {
  return flags_.at(name).changed;
}

void flag_set::set_default(const std::string& name, const std::string& v) {
  flags_.at(name).def = v;
}

std::string flag_set::usage() const {
  std::string out;
  for (auto& [name, f] : flags_) {
    std::string left = "  ";
    left += f.shorthand ? std::string("-") + f.shorthand + ", " : "    ";
    left += "--" + name;
    if (f.k == kind::string)
      left += " string";
    else if (f.k == kind::slice)
      left += " strings";
    if (left.size() < 34)
      left.append(34 - left.size(), ' ');
    out += left + " " + f.usage;
    if (!f.def.empty() && f.k != kind::boolean)
      out += " (default \"" + f.def + "\")";
    out += "\n";
  }
  return out;
}

std::vector<flag_set::description> flag_set::describe() const {
  std::vector<description> out;
  for (auto& [name, f] : flags_)
    out.push_back({name, f.shorthand, f.k, f.def, f.usage});
  return out;
}

} // namespace fluxd::fluxctl
