#include "tests/kube_emulator/ssa.hpp"

#include <algorithm>
#include <map>

#include "tests/kube_emulator/objects.hpp"
#include "tests/kube_emulator/patch.hpp"

namespace kube_emulator::ssa {

namespace {

bool identity_meta(std::string_view key) {
  return key == "name" || key == "namespace" || key == "uid"
         || key == "resourceVersion" || key == "generation"
         || key == "creationTimestamp" || key == "managedFields"
         || key == "selfLink" || key == "deletionTimestamp"
         || key == "deletionGracePeriodSeconds";
}

std::string item_key(const std::string& key, const json::value& id) {
  return "k:" + json::serialize(json::object{{key, id}});
}

void walk(const json::value& v, path& p, field_set& out,
          std::string_view field) {
  if (v.is_object() && !v.as_object().empty()) {
    for (auto& kv : v.as_object()) {
      p.push_back("f:" + std::string(kv.key()));
      walk(kv.value(), p, out, kv.key());
      p.pop_back();
    }
    return;
  }
  if (v.is_array()) {
    auto key = list_merge_key(field, v.as_array());
    if (!key.empty()) {
      for (auto& item : v.as_array()) {
        p.push_back(item_key(key, item.as_object().at(key)));
        p.push_back(".");
        out.insert(p);
        p.pop_back();
        for (auto& kv : item.as_object()) {
          p.push_back("f:" + std::string(kv.key()));
          walk(kv.value(), p, out, kv.key());
          p.pop_back();
        }
        p.pop_back();
      }
      return;
    }
  }
  out.insert(p);
}

/// The list item an element "k:{...}" names, or end().
json::array::iterator find_item(json::array& a, const std::string& elem) {
  auto id = json::parse(elem.substr(2)).as_object();
  return std::find_if(a.begin(), a.end(), [&](const json::value& x) {
    if (!x.is_object())
      return false;
    for (auto& kv : id) {
      auto* v = x.as_object().if_contains(kv.key());
      if (!v || *v != kv.value())
        return false;
    }
    return true;
  });
}

const json::value* value_at(const json::value& root, const path& p) {
  const json::value* cur = &root;
  for (auto& elem : p) {
    if (elem == ".")
      break;
    if (elem.rfind("f:", 0) == 0) {
      if (!cur->is_object())
        return nullptr;
      cur = cur->as_object().if_contains(std::string_view(elem).substr(2));
    } else if (elem.rfind("k:", 0) == 0) {
      if (!cur->is_array())
        return nullptr;
      auto& a = const_cast<json::array&>(cur->as_array());
      auto it = find_item(a, elem);
      cur = it == a.end() ? nullptr : &*it;
    } else {
      return nullptr;
    }
    if (!cur)
      return nullptr;
  }
  return cur;
}

/// Removes the field (or list item, for a path ending in ".") at p[i..];
/// drops maps that the removal left empty.
void remove_at(json::value& node, const path& p, size_t i) {
  if (i >= p.size())
    return;
  const auto& elem = p[i];
  bool last = i + 1 == p.size() || (i + 2 == p.size() && p[i + 1] == ".");
  if (elem.rfind("f:", 0) == 0 && node.is_object()) {
    auto name = std::string_view(elem).substr(2);
    auto* child = node.as_object().if_contains(name);
    if (!child)
      return;
    if (last) {
      node.as_object().erase(name);
      return;
    }
    remove_at(*child, p, i + 1);
    if (child->is_object() && child->as_object().empty())
      node.as_object().erase(name);
  } else if (elem.rfind("k:", 0) == 0 && node.is_array()) {
    auto& a = node.as_array();
    auto it = find_item(a, elem);
    if (it == a.end())
      return;
    if (last)
      a.erase(it);
    else
      remove_at(*it, p, i + 1);
  }
}

void merge(json::value& target, const json::value& src,
           std::string_view field) {
  if (src.is_object() && target.is_object()) {
    auto& t = target.as_object();
    for (auto& kv : src.as_object()) {
      auto& slot = t[kv.key()];
      merge(slot, kv.value(), kv.key());
    }
    return;
  }
  if (src.is_array() && target.is_array()) {
    auto key = list_merge_key(field, src.as_array());
    if (!key.empty()) {
      auto& t = target.as_array();
      for (auto& item : src.as_array()) {
        auto it = find_item(t, item_key(key, item.as_object().at(key)));
        if (it != t.end())
          merge(*it, item, {});
        else
          t.push_back(item);
      }
      return;
    }
  }
  target = src;
}

struct entry {
  std::string manager;
  std::string operation;
  std::string api_version;
  std::string time;
  std::string subresource;
  field_set fields;
};

std::vector<entry> read_entries(const json::object& obj) {
  std::vector<entry> out;
  auto* md = child(obj, "metadata");
  auto* mf = md ? md->if_contains("managedFields") : nullptr;
  if (!mf || !mf->is_array())
    return out;
  for (auto& e : mf->as_array()) {
    if (!e.is_object())
      continue;
    auto& o = e.as_object();
    entry x{str(o, "manager"), str(o, "operation"),   str(o, "apiVersion"),
            str(o, "time"),    str(o, "subresource"), {}};
    if (auto* f = child(o, "fieldsV1"))
      x.fields = from_fields_v1(*f);
    out.push_back(std::move(x));
  }
  return out;
}

void write_entries(json::object& obj, std::vector<entry>& entries) {
  json::array mf;
  for (auto& e : entries) {
    if (e.fields.empty())
      continue;
    json::object o{
        {"manager", e.manager},        {"operation", e.operation},
        {"apiVersion", e.api_version}, {"time", e.time},
        {"fieldsType", "FieldsV1"},    {"fieldsV1", to_fields_v1(e.fields)}};
    if (!e.subresource.empty())
      o["subresource"] = e.subresource;
    mf.push_back(std::move(o));
  }
  auto& md = child_or_create(obj, "metadata");
  if (mf.empty())
    md.erase("managedFields");
  else
    md["managedFields"] = std::move(mf);
}

entry& entry_for(std::vector<entry>& entries, const identity& who,
                 const std::string& operation) {
  for (auto& e : entries)
    if (e.manager == who.manager && e.operation == operation
        && e.subresource.empty())
      return e;
  entries.push_back({who.manager, operation, who.api_version, {}, {}, {}});
  return entries.back();
}

/// ".spec.template.spec.containers[name=\"web\"].image"
std::string pretty(const path& p) {
  std::string out;
  for (auto& elem : p) {
    if (elem == ".")
      continue;
    if (elem.rfind("f:", 0) == 0) {
      out += "." + elem.substr(2);
    } else {
      auto id = json::parse(elem.substr(2)).as_object();
      out += "[";
      bool first = true;
      for (auto& kv : id) {
        out += (first ? "" : ",") + std::string(kv.key()) + "="
               + json::serialize(kv.value());
        first = false;
      }
      out += "]";
    }
  }
  return out;
}

std::string pretty_manager(const entry& e) {
  std::string out = "\"" + e.manager + "\"";
  if (e.operation != "Apply")
    out += " using " + e.api_version;
  return out;
}

} // namespace

field_set fields_of(const json::object& obj) {
  field_set out;
  path p;
  for (auto& kv : obj) {
    std::string_view key = kv.key();
    if (key == "apiVersion" || key == "kind" || key == "status")
      continue;
    if (key == "metadata" && kv.value().is_object()) {
      for (auto& m : kv.value().as_object()) {
        if (identity_meta(m.key()))
          continue;
        p = {"f:metadata", "f:" + std::string(m.key())};
        walk(m.value(), p, out, m.key());
      }
      continue;
    }
    p = {"f:" + std::string(key)};
    walk(kv.value(), p, out, key);
  }
  return out;
}

json::object to_fields_v1(const field_set& fields) {
  json::object root;
  for (auto& p : fields) {
    json::object* cur = &root;
    for (auto& elem : p)
      cur = &child_or_create(*cur, elem);
  }
  return root;
}

field_set from_fields_v1(const json::object& fields_v1) {
  field_set out;
  path p;
  auto rec = [&](auto& self, const json::object& node) -> void {
    for (auto& kv : node) {
      p.push_back(std::string(kv.key()));
      if (!kv.value().is_object() || kv.value().as_object().empty())
        out.insert(p);
      else
        self(self, kv.value().as_object());
      p.pop_back();
    }
  };
  rec(rec, fields_v1);
  return out;
}

json::object apply(const json::object* live, json::object applied,
                   const identity& who, bool force) {
  json::value result = live ? json::value(*live) : json::value(json::object{});
  auto entries = live ? read_entries(*live) : std::vector<entry>{};
  auto mine = fields_of(applied);
  json::value applied_v(std::move(applied));

  // Conflicts: a field someone else owns, set here to another value.
  std::vector<std::pair<std::string, path>> conflicts; // manager text, path
  std::map<size_t, std::vector<path>> lost;            // entry index → paths
  for (size_t i = 0; i < entries.size(); ++i) {
    auto& e = entries[i];
    if (e.manager == who.manager && e.operation == "Apply")
      continue; // one's own earlier apply
    for (auto& p : mine) {
      if (p.back() == "." || !e.fields.count(p))
        continue;
      auto* have = value_at(result, p);
      auto* want = value_at(applied_v, p);
      if (have && want && *have == *want)
        continue;
      conflicts.push_back({pretty_manager(e), p});
      lost[i].push_back(p);
    }
  }
  if (!conflicts.empty() && !force) {
    std::string text;
    json::array causes;
    for (auto& [m, p] : conflicts)
      causes.push_back(json::object{{"reason", "FieldManagerConflict"},
                                    {"message", "conflict with " + m},
                                    {"field", pretty(p)}});
    if (conflicts.size() == 1) {
      text = "conflict with " + conflicts[0].first + ": "
             + pretty(conflicts[0].second);
    } else {
      std::map<std::string, std::vector<std::string>> by_manager;
      for (auto& [m, p] : conflicts)
        by_manager[m].push_back(pretty(p));
      for (auto& [m, ps] : by_manager) {
        text += (text.empty() ? "" : "\n") + std::string("conflicts with ") + m
                + ":";
        for (auto& p : ps)
          text += "\n- " + p;
      }
    }
    auto n = std::to_string(conflicts.size());
    throw api_error(409, "Conflict",
                    "Apply failed with " + n + " conflict"
                        + (conflicts.size() == 1 ? "" : "s") + ": " + text,
                    json::object{{"causes", causes}});
  }
  for (auto& [i, ps] : lost)
    for (auto& p : ps)
      entries[i].fields.erase(p);

  // Fields this manager applied before and dropped now go away, unless
  // someone else still owns them.
  auto& me = entry_for(entries, who, "Apply");
  field_set others;
  for (auto& e : entries)
    if (&e != &me)
      others.insert(e.fields.begin(), e.fields.end());
  std::vector<path> dropped;
  for (auto& p : me.fields)
    if (!mine.count(p) && !others.count(p))
      dropped.push_back(p);
  // Deepest first, so an item's fields go before the item.
  std::sort(dropped.begin(), dropped.end(),
            [](const path& a, const path& b) { return a.size() > b.size(); });
  for (auto& p : dropped)
    remove_at(result, p, 0);

  if (live)
    merge(result, applied_v, {});
  else
    result = std::move(applied_v); // what merging into {} would copy
  // A no-op apply leaves the object (timestamps included) as it was, so it
  // gets no new resourceVersion and makes no watch event.
  auto without_fields = [](json::value v) {
    if (auto* md = v.is_object() ? child(v.as_object(), "metadata") : nullptr)
      md->erase("managedFields");
    return v;
  };
  bool unchanged = live && me.fields == mine
                   && me.api_version == who.api_version && !me.time.empty()
                   && without_fields(result) == without_fields(*live);
  me.fields = std::move(mine);
  me.api_version = who.api_version;
  if (!unchanged)
    me.time = now_rfc3339();
  auto& out = result.as_object();
  write_entries(out, entries);
  return std::move(out);
}

void record_update(const json::object* before, json::object& after,
                   const identity& who) {
  auto entries = before ? read_entries(*before) : std::vector<entry>{};
  auto now_fields = fields_of(after);
  field_set changed, removed;
  json::value before_v = before ? json::value(*before) : json::value{};
  json::value after_v = after;
  if (before) {
    auto old_fields = fields_of(*before);
    for (auto& p : old_fields)
      if (!now_fields.count(p))
        removed.insert(p);
    for (auto& p : now_fields) {
      if (!old_fields.count(p)) {
        changed.insert(p);
        continue;
      }
      auto* a = value_at(before_v, p);
      auto* b = value_at(after_v, p);
      if (p.back() != "." && (!a || !b || *a != *b))
        changed.insert(p);
    }
  } else {
    changed = now_fields;
  }
  if (changed.empty() && removed.empty() && before) {
    write_entries(after, entries);
    return;
  }
  for (auto& e : entries) {
    for (auto& p : removed)
      e.fields.erase(p);
    if (e.manager == who.manager && e.operation == "Update")
      continue;
    for (auto& p : changed)
      e.fields.erase(p);
  }
  auto& me = entry_for(entries, who, "Update");
  me.fields.insert(changed.begin(), changed.end());
  me.api_version = who.api_version;
  me.time = now_rfc3339();
  write_entries(after, entries);
}

} // namespace kube_emulator::ssa
