#include "tests/kube_emulator/selectors.hpp"

#include <algorithm>
#include <cctype>

#include "tests/kube_emulator/objects.hpp"

namespace kube_emulator {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

/// Splits at commas that are not inside parentheses.
std::vector<std::string> split_terms(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : text) {
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty() || !out.empty())
    out.push_back(trim(cur));
  return out;
}

api_error bad_selector(const std::string& text, const std::string& why) {
  return bad_request("unable to parse requirement: \"" + text + "\": " + why);
}

/// The value at a dotted path as a string (numbers and booleans printed).
bool field_value(const json::object& obj, const std::string& path,
                 std::string& out) {
  const json::value* cur = nullptr;
  const json::object* o = &obj;
  size_t start = 0;
  while (true) {
    auto dot = path.find('.', start);
    auto part =
        path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!o)
      return false;
    cur = o->if_contains(part);
    if (!cur)
      return false;
    if (dot == std::string::npos)
      break;
    o = cur->is_object() ? &cur->as_object() : nullptr;
    start = dot + 1;
  }
  if (cur->is_string())
    out = std::string(cur->as_string());
  else if (cur->is_bool())
    out = cur->as_bool() ? "true" : "false";
  else if (cur->is_null())
    out.clear();
  else
    out = json::serialize(*cur);
  return true;
}

} // namespace

selector selector::labels(const std::string& text) {
  selector s;
  for (auto& term : split_terms(text)) {
    if (term.empty())
      throw bad_selector(text, "empty requirement");
    requirement r;
    if (term[0] == '!') {
      r.key = trim(term.substr(1));
      r.operation = op::not_exists;
    } else if (auto p = term.find("!="); p != std::string::npos) {
      r.key = trim(term.substr(0, p));
      r.operation = op::ne;
      r.values = {trim(term.substr(p + 2))};
    } else if (auto q = term.find('='); q != std::string::npos) {
      r.key = trim(term.substr(0, q));
      r.operation = op::eq;
      auto rest = term.substr(q + 1);
      if (!rest.empty() && rest[0] == '=')
        rest = rest.substr(1);
      r.values = {trim(rest)};
    } else if (auto open = term.find('('); open != std::string::npos) {
      auto close = term.rfind(')');
      if (close == std::string::npos || close < open)
        throw bad_selector(text, "missing ')'");
      auto head = trim(term.substr(0, open));
      auto sp = head.find_last_of(" \t");
      if (sp == std::string::npos)
        throw bad_selector(text, "expected 'in' or 'notin'");
      auto word = trim(head.substr(sp + 1));
      r.key = trim(head.substr(0, sp));
      if (word == "in")
        r.operation = op::in;
      else if (word == "notin")
        r.operation = op::notin;
      else
        throw bad_selector(text, "expected 'in' or 'notin'");
      std::string list = term.substr(open + 1, close - open - 1);
      size_t start = 0;
      while (true) {
        auto comma = list.find(',', start);
        r.values.push_back(trim(list.substr(
            start, comma == std::string::npos ? comma : comma - start)));
        if (comma == std::string::npos)
          break;
        start = comma + 1;
      }
    } else {
      r.key = term;
      r.operation = op::exists;
    }
    if (r.key.empty() || r.key.find_first_of(" \t()!=") != std::string::npos)
      throw bad_selector(text, "invalid label key \"" + r.key + "\"");
    s.reqs_.push_back(std::move(r));
  }
  return s;
}

selector selector::fields(const std::string& text) {
  selector s;
  s.on_fields_ = true;
  for (auto& term : split_terms(text)) {
    requirement r;
    if (auto p = term.find("!="); p != std::string::npos) {
      r.key = trim(term.substr(0, p));
      r.operation = op::ne;
      r.values = {trim(term.substr(p + 2))};
    } else if (auto q = term.find('='); q != std::string::npos) {
      r.key = trim(term.substr(0, q));
      r.operation = op::eq;
      auto rest = term.substr(q + 1);
      if (!rest.empty() && rest[0] == '=')
        rest = rest.substr(1);
      r.values = {trim(rest)};
    } else {
      throw bad_request("invalid field selector: \"" + text
                        + "\": expected an operator");
    }
    if (r.key.empty())
      throw bad_request("invalid field selector: \"" + text + "\"");
    s.reqs_.push_back(std::move(r));
  }
  return s;
}

bool selector::matches(const json::object& obj) const {
  const json::object* labels = nullptr;
  if (!on_fields_)
    if (auto* md = child(obj, "metadata"))
      labels = child(*md, "labels");
  for (auto& r : reqs_) {
    std::string value;
    bool present;
    if (on_fields_) {
      present = field_value(obj, r.key, value);
    } else {
      auto* v = labels ? labels->if_contains(r.key) : nullptr;
      present = v && v->is_string();
      if (present)
        value = std::string(v->as_string());
    }
    auto in_values = [&] {
      return std::find(r.values.begin(), r.values.end(), value)
             != r.values.end();
    };
    bool ok = false;
    switch (r.operation) {
      case op::eq:
        // A missing field compares as "" for field selectors.
        ok = (present || on_fields_) && value == r.values[0];
        break;
      case op::ne:
        ok = !present || value != r.values[0];
        break;
      case op::in:
        ok = present && in_values();
        break;
      case op::notin:
        ok = !present || !in_values();
        break;
      case op::exists:
        ok = present;
        break;
      case op::not_exists:
        ok = !present;
        break;
    }
    if (!ok)
      return false;
  }
  return true;
}

} // namespace kube_emulator
