#include "adapters/manifests/editor.hpp"

#include <optional>

#include "adapters/manifests/yaml_text.hpp"

namespace fluxd::manifests {

namespace yt = yaml_text;

namespace {

const std::string edit_file = "<manifest>";

// -- locating the target document --------------------------------------------

struct located {
  std::vector<YAML::Node> docs;
  std::size_t doc = 0;
  std::optional<std::size_t> item;
  YAML::Node obj;
};

std::string scalar_of(const YAML::Node& n, const char* a,
                      const char* b = nullptr) {
  auto v = node_at(n, b ? value_path{a, b} : value_path{a});
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

bool matches(const YAML::Node& obj, const edit_target& t) {
  if (!obj.IsMap())
    return false;
  auto ns = scalar_of(obj, "metadata", "namespace");
  auto want_ns = t.ns.empty() ? "default" : t.ns;
  return lower(scalar_of(obj, "kind")) == lower(t.kind)
         && (ns.empty() ? "default" : ns) == want_ns
         && scalar_of(obj, "metadata", "name") == t.name;
}

located locate(std::string_view text, const edit_target& t,
               const limits& lim) {
  located out;
  out.docs = parse_stream(text, edit_file, lim);
  for (std::size_t d = 0; d < out.docs.size(); ++d) {
    const YAML::Node& doc = out.docs[d];
    if (!doc.IsMap())
      continue;
    auto kind = scalar_of(doc, "kind");
    if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0) {
      auto items = node_at(doc, {"items"});
      if (items && items.IsSequence())
        for (std::size_t i = 0; i < items.size(); ++i)
          if (matches(items[i], t)) {
            out.doc = d;
            out.item = i;
            out.obj.reset(items[i]);
            return out;
          }
    } else if (matches(doc, t)) {
      out.doc = d;
      out.obj.reset(doc);
      return out;
    }
  }
  throw edit_error("manifest not found: " + t.kind + " " + t.ns + "/"
                   + t.name);
}

// -- text positions of nodes -------------------------------------------------

std::size_t pos_of(const YAML::Node& n) {
  return static_cast<std::size_t>(n.Mark().pos);
}
std::size_t col_of(const YAML::Node& n) {
  return static_cast<std::size_t>(n.Mark().column);
}

bool is_flow(std::string_view text, const YAML::Node& coll) {
  auto p = yt::skip_properties(text, pos_of(coll));
  return p < text.size() && (text[p] == '{' || text[p] == '[');
}

struct entry {
  YAML::Node key;
  YAML::Node value;
};

std::vector<entry> entries(const YAML::Node& map) {
  std::vector<entry> out;
  for (auto it = map.begin(); it != map.end(); ++it) {
    entry e;
    e.key.reset(it->first);
    e.value.reset(it->second);
    out.push_back(e);
  }
  return out;
}

std::optional<entry> find_entry(const YAML::Node& map, const std::string& k) {
  for (auto& e : entries(map))
    if (e.key.IsScalar() && e.key.Scalar() == k)
      return e;
  return std::nullopt;
}

/// Just after the `:` that follows a key.
std::size_t after_colon(std::string_view text, const entry& e, bool flow) {
  auto key = yt::scalar_at(text, pos_of(e.key), col_of(e.key), true);
  auto i = key.end;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
    ++i;
  if (i >= text.size() || text[i] != ':')
    throw edit_error("cannot find the value of key \"" + e.key.Scalar()
                     + "\"" + (flow ? " in a flow mapping" : ""));
  return i + 1;
}

/// True when a null value is written as nothing at all (`key:`).
bool empty_value(std::string_view text, const entry& e, bool flow) {
  if (!e.value.IsNull())
    return false;
  auto i = after_colon(text, e, flow);
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
    ++i;
  return i >= text.size() || text[i] == '\n' || text[i] == '\r'
         || text[i] == '#' || (flow && (text[i] == ',' || text[i] == '}'));
}

/// One past the last byte of an entry's value (before any comment).
std::size_t value_end(std::string_view text, const entry& e, bool flow) {
  if (empty_value(text, e, flow))
    return after_colon(text, e, flow);
  if (e.value.IsScalar() || e.value.IsNull())
    return yt::scalar_at(text, pos_of(e.value), col_of(e.key), flow).end;
  if (is_flow(text, e.value))
    return yt::flow_end(text, yt::skip_properties(text, pos_of(e.value)));
  if (flow)
    throw edit_error("block collection inside a flow mapping");
  // Block collection: every following line indented past the key, or a
  // `- ` at the key's column (a sequence under its key), belongs to it.
  auto key_col = col_of(e.key);
  auto last = yt::line_at(text, pos_of(e.key)).end;
  for (auto l = yt::line_at(text, yt::line_at(text, pos_of(e.key)).next);
       l.begin < text.size(); l = yt::line_at(text, l.next)) {
    if (yt::blank_or_comment(text, l)) {
      if (l.next >= text.size())
        break;
      continue;
    }
    auto ind = yt::indent_at(text, l.begin);
    bool dash = ind == key_col && text[l.begin + ind] == '-'
                && (l.begin + ind + 1 >= l.end
                    || text[l.begin + ind + 1] == ' ');
    if (ind <= key_col && !(dash && e.value.IsSequence()))
      break;
    last = l.end;
    if (l.next >= text.size())
      break;
  }
  return last;
}

std::string splice(std::string_view text, std::size_t begin, std::size_t end,
                   const std::string& with) {
  std::string out(text.substr(0, begin));
  out += with;
  out += text.substr(end);
  return out;
}

/// Replaces the scalar value of `e`, keeping its quoting style.
std::string replace_value(std::string_view text, const YAML::Node& map,
                          const entry& e, const std::string& value) {
  bool flow = is_flow(text, map);
  if (!e.value.IsScalar() && !e.value.IsNull())
    throw edit_error("unable to resolve path: \"" + e.key.Scalar()
                     + "\" is not a scalar");
  if (empty_value(text, e, flow)) {
    auto at = after_colon(text, e, flow);
    return splice(text, at, at, " " + yt::render(value, yt::style::plain,
                                                 flow));
  }
  if (e.value.IsScalar() && e.value.Scalar() == value)
    return std::string(text);
  // A value shared through an anchor would change elsewhere too.
  auto colon = after_colon(text, e, flow);
  auto span = yt::scalar_at(text, pos_of(e.value), col_of(e.key), flow);
  auto first = colon;
  while (first < text.size() && (text[first] == ' ' || text[first] == '\t'))
    ++first;
  if (span.begin < colon || (first < text.size() && text[first] == '*')
      || text.substr(first, span.begin - first).find('&')
           != std::string_view::npos)
    throw edit_error("cannot edit \"" + e.key.Scalar()
                     + "\": its value is shared through an anchor or alias");
  return splice(text, span.begin, span.end, yt::render(value, span.how, flow));
}

/// The first byte of the line of `pos`, if only spaces precede `pos`.
std::size_t own_line_start(std::string_view text, std::size_t pos) {
  auto l = yt::line_at(text, pos);
  for (auto i = l.begin; i < pos; ++i)
    if (text[i] != ' ')
      throw edit_error("cannot edit an entry that shares its line");
  return l.begin;
}

std::string remove_entry(std::string_view text, const YAML::Node& map,
                         const std::string& key) {
  auto es = entries(map);
  std::size_t idx = es.size();
  for (std::size_t i = 0; i < es.size(); ++i)
    if (es[i].key.IsScalar() && es[i].key.Scalar() == key)
      idx = i;
  if (idx == es.size())
    return std::string(text);
  const auto& e = es[idx];
  if (is_flow(text, map)) {
    auto begin = yt::skip_properties(text, pos_of(e.key));
    auto end = value_end(text, e, true);
    if (idx + 1 < es.size()) {
      end = yt::skip_properties(text, pos_of(es[idx + 1].key));
    } else if (idx > 0) {
      begin = value_end(text, es[idx - 1], true);
    }
    return splice(text, begin, end, "");
  }
  auto begin = own_line_start(text, pos_of(e.key));
  auto end = yt::line_at(text, value_end(text, e, false)).next;
  return splice(text, begin, end, "");
}

/// Appends an entry to a mapping: `body` is `key: value` for a flow
/// mapping, or the entry's lines without the first indent and final break.
std::string append_entry(std::string_view text, const YAML::Node& map,
                         const std::string& body, const std::string& eol) {
  auto es = entries(map);
  if (is_flow(text, map)) {
    auto open = yt::skip_properties(text, pos_of(map));
    if (es.empty())
      return splice(text, open + 1, open + 1, body);
    auto at = value_end(text, es.back(), true);
    return splice(text, at, at, ", " + body);
  }
  if (es.empty())
    throw edit_error("cannot append to an empty block mapping");
  auto col = col_of(es.front().key);
  auto last = yt::line_at(text, value_end(text, es.back(), false));
  std::string line = std::string(col, ' ') + body + eol;
  if (last.next == last.end) // no line break at the end: keep it so
    line = eol + std::string(col, ' ') + body;
  return splice(text, last.next, last.next, line);
}

/// Indentation step used below `map`: from one of its block mappings, else
/// from `map` itself against the column of the key that holds it
/// (`parent_col`), else 2.
std::size_t indent_step(std::string_view text, const YAML::Node& map,
                        std::optional<std::size_t> parent_col = {}) {
  for (auto& e : entries(map))
    if (e.value.IsMap() && !is_flow(text, e.value) && e.value.size() > 0) {
      auto child = col_of(entries(e.value).front().key);
      if (child > col_of(e.key))
        return child - col_of(e.key);
    }
  if (parent_col && map.size() > 0) {
    auto col = col_of(entries(map).front().key);
    if (col > *parent_col)
      return col - *parent_col;
  }
  return 2;
}

YAML::Node metadata_of(const located& at) {
  auto md = node_at(at.obj, {"metadata"});
  if (!md || !md.IsMap())
    throw edit_error("resource has no metadata mapping");
  return md;
}

std::string set_one_annotation(std::string_view text, const edit_target& t,
                               const annotation_change& c,
                               const limits& lim) {
  auto at = locate(text, t, lim);
  auto md = metadata_of(at);
  auto md_key = find_entry(at.obj, "metadata");
  auto step = indent_step(text, md, col_of(md_key->key));
  auto eol = yt::eol_of(text);
  auto ann = find_entry(md, "annotations");
  if (!c.value) {
    if (!ann || !ann->value.IsMap() || !find_entry(ann->value, c.key))
      return std::string(text);
    if (ann->value.size() == 1)
      return remove_entry(text, md, "annotations");
    return remove_entry(text, ann->value, c.key);
  }
  auto value_flow = ann && ann->value.IsMap() && is_flow(text, ann->value);
  auto rendered = yt::render(*c.value, yt::style::plain,
                             value_flow || is_flow(text, md));
  auto key = yt::render(c.key, yt::style::plain, true);
  if (!ann) {
    if (is_flow(text, md))
      return append_entry(text, md,
                          "annotations: {" + key + ": " + rendered + "}", eol);
    auto col = md.size() ? col_of(entries(md).front().key) : 0;
    return append_entry(text, md,
                        "annotations:" + eol
                          + std::string(col + step, ' ')
                          + key + ": " + rendered,
                        eol);
  }
  if (ann->value.IsMap()) {
    if (auto existing = find_entry(ann->value, c.key))
      return replace_value(text, ann->value, *existing, *c.value);
    return append_entry(text, ann->value, key + ": " + rendered, eol);
  }
  if (empty_value(text, *ann, is_flow(text, md))) {
    auto l = yt::line_at(text, pos_of(ann->key));
    auto col = col_of(ann->key) + step;
    return splice(text, l.end, l.end,
                  eol + std::string(col, ' ') + key + ": " + rendered);
  }
  throw edit_error("metadata.annotations is not a mapping");
}

std::string set_one_value(std::string_view text, const edit_target& t,
                          const value_path& path, const std::string& value,
                          const limits& lim) {
  auto at = locate(text, t, lim);
  if (path.empty())
    throw edit_error("unable to resolve path(s): empty path");
  auto parent = node_at(at.obj, value_path(path.begin(), path.end() - 1));
  std::optional<entry> e;
  if (parent && parent.IsMap())
    e = find_entry(parent, path.back());
  if (!e || !(e->value.IsScalar() || e->value.IsNull()))
    throw edit_error("unable to resolve path(s): " + join_path(path));
  return replace_value(text, parent, *e, value);
}

// -- verification --------------------------------------------------------------

bool plain_tag(const std::string& tag) {
  return tag.empty() || tag == "?" || tag == "!";
}

bool same(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type())
    return false;
  if (!(plain_tag(a.Tag()) && plain_tag(b.Tag())) && a.Tag() != b.Tag())
    return false;
  switch (a.Type()) {
    case YAML::NodeType::Scalar:
      return a.Scalar() == b.Scalar();
    case YAML::NodeType::Sequence: {
      if (a.size() != b.size())
        return false;
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!same(a[i], b[i]))
          return false;
      return true;
    }
    case YAML::NodeType::Map: {
      if (a.size() != b.size())
        return false;
      auto ia = a.begin();
      auto ib = b.begin();
      for (; ia != a.end(); ++ia, ++ib)
        if (!same(ia->first, ib->first) || !same(ia->second, ib->second))
          return false;
      return true;
    }
    default:
      return true;
  }
}

/// The object inside a cloned document, for applying the intended change.
YAML::Node object_in(YAML::Node& doc, const located& at) {
  YAML::Node obj;
  if (at.item)
    obj.reset(doc["items"][*at.item]);
  else
    obj.reset(doc);
  return obj;
}

/// Re-parses `after` and checks it equals `before` with `change` applied
/// to the target object, and nothing else changed.
template <class Change>
void verify(std::string_view before, const std::string& after,
            const edit_target& t, const limits& lim, Change change) {
  auto old_at = locate(before, t, lim);
  std::vector<YAML::Node> fresh;
  try {
    fresh = parse_stream(after, edit_file, lim);
  } catch (const manifest_error& e) {
    throw edit_error(std::string("edit produced invalid YAML: ") + e.what());
  }
  if (fresh.size() != old_at.docs.size())
    throw edit_error("edit changed the number of documents");
  for (std::size_t d = 0; d < fresh.size(); ++d) {
    YAML::Node want = YAML::Clone(old_at.docs[d]);
    if (d == old_at.doc) {
      auto obj = object_in(want, old_at);
      change(obj);
    }
    if (!same(want, fresh[d]))
      throw edit_error("verifying the edit failed: document "
                       + std::to_string(d + 1) + " is not as intended");
  }
}

} // namespace

edit_target target_of(const resource& r) {
  return {r.kind, r.written_ns, r.name};
}

edit_target target_of_id(const std::string& id) {
  auto p = parse_id(id);
  return {p.kind, p.ns == cluster_scope ? "" : p.ns, p.name};
}

std::string set_values(
  std::string_view file, const edit_target& t,
  const std::vector<std::pair<value_path, std::string>>& writes,
  const limits& lim) {
  std::string text(file);
  for (const auto& [path, value] : writes)
    text = set_one_value(text, t, path, value, lim);
  verify(file, text, t, lim, [&](YAML::Node& obj) {
    for (const auto& [path, value] : writes) {
      YAML::Node n = node_at(obj, path);
      n = value;
    }
  });
  return text;
}

std::string set_container_image(std::string_view file, const edit_target& t,
                                const std::string& container,
                                const image::ref& new_ref,
                                const limits& lim) {
  auto at = locate(file, t, lim);
  if (!is_workload_kind(t.kind))
    throw edit_error("updating resource kind \"" + lower(t.kind)
                     + "\" not supported");
  auto w = containers_of(at.obj);
  if (!w.excuse.empty())
    throw edit_error(w.excuse);
  for (const auto& c : w.containers)
    if (c.name == container)
      return set_values(file, t, image_writes(c, new_ref), lim);
  throw edit_error("container \"" + container + "\" not found in "
                   + lower(t.kind) + " " + t.name);
}

std::string set_annotations(std::string_view file, const edit_target& t,
                            const std::vector<annotation_change>& changes,
                            const limits& lim) {
  std::string text(file);
  for (const auto& c : changes)
    text = set_one_annotation(text, t, c, lim);
  verify(file, text, t, lim, [&](YAML::Node& obj) {
    YAML::Node md = obj["metadata"];
    for (const auto& c : changes) {
      if (c.value) {
        md["annotations"][c.key] = *c.value;
      } else if (md["annotations"] && md["annotations"].IsMap()) {
        md["annotations"].remove(c.key);
        if (md["annotations"].size() == 0)
          md.remove("annotations");
      }
    }
  });
  return text;
}

std::string update_policies(std::string_view file, const edit_target& t,
                            const policy_update& update, const limits& lim) {
  std::vector<std::string> names;
  bool workload = is_workload_kind(t.kind);
  auto at = locate(file, t, lim);
  if (workload)
    for (const auto& c : containers_of(at.obj).containers)
      names.push_back(c.name);
  auto id = make_id(t.ns.empty() ? "default" : t.ns, t.kind, t.name);
  auto changes = annotation_changes(annotations_of(at.obj), update,
                                    workload ? &names : nullptr, id);
  return set_annotations(file, t, changes, lim);
}

} // namespace fluxd::manifests
