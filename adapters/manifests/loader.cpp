#include "adapters/manifests/loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <streambuf>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

namespace fluxd::manifests {

namespace fs = std::filesystem;

namespace {

constexpr const char* chart_marker = "Chart.yaml";
constexpr const char* values_marker = "values.yaml";
constexpr const char* too_large_marker = "\x01fluxd:too-large";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size()
         && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool under(const std::string& path, const std::string& dir) {
  if (dir.empty() || dir == ".")
    return true;
  return path == dir
         || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0
             && path[dir.size()] == '/');
}

std::string clean(std::string p) {
  while (p.size() > 1 && p.back() == '/')
    p.pop_back();
  while (p.rfind("./", 0) == 0)
    p = p.substr(2);
  return p == "." ? "" : p;
}

/// Directories holding both Chart.yaml and values.yaml: Helm charts.
std::set<std::string> chart_dirs(const file_map& files) {
  std::set<std::string> with_chart, charts;
  for (const auto& [path, _] : files)
    if (base_name(path) == chart_marker)
      with_chart.insert(parent_dir(path));
  for (const auto& [path, _] : files)
    if (base_name(path) == values_marker
        && with_chart.count(parent_dir(path)))
      charts.insert(parent_dir(path));
  return charts;
}

/// Counts nodes with aliases expanded, stopping at the limit; also stops
/// at a depth the text cannot have, which only an alias cycle (`&b [*b]`,
/// accepted by yaml-cpp) reaches.
bool within_node_limit(const YAML::Node& n, std::size_t& budget,
                       std::size_t depth = 0) {
  constexpr std::size_t max_depth = 600; // yaml-cpp refuses text over 500
  if (budget == 0 || depth > max_depth)
    return false;
  --budget;
  if (n.IsMap()) {
    for (auto it = n.begin(); it != n.end(); ++it)
      if (!within_node_limit(it->first, budget, depth + 1)
          || !within_node_limit(it->second, budget, depth + 1))
        return false;
  } else if (n.IsSequence()) {
    for (auto it = n.begin(); it != n.end(); ++it)
      if (!within_node_limit(*it, budget, depth + 1))
        return false;
  }
  return true;
}

/// Remembers where the last event was, and ignores everything.
class position_handler : public YAML::EventHandler {
public:
  YAML::Mark last;
  void OnDocumentStart(const YAML::Mark& m) override { last = m; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { last = m; }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { last = m; }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    last = m;
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&,
                       YAML::anchor_t, YAML::EmitterStyle::value) override {
    last = m;
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    last = m;
  }
  void OnMapEnd() override {}
};

/// Reads `text` in place: yaml-cpp wants an istream, and istringstream
/// would copy the whole file first. Never written through.
class view_buf : public std::streambuf {
public:
  explicit view_buf(std::string_view text) {
    auto* p = const_cast<char*>(text.data());
    setg(p, p, p + text.size());
  }
};

/// Lines starting with `---` or `...`, plus the implicit first document and
/// one to spare: a stream that yields more documents is refused.
std::size_t document_markers(std::string_view text) {
  std::size_t markers = 2;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "---") == 0 || text.compare(i, 3, "...") == 0)
      ++markers;
    auto nl = text.find('\n', i);
    if (nl == std::string_view::npos)
      break;
    i = nl + 1;
  }
  return markers;
}

/// yaml-cpp 0.7's LoadAll never ends on a stray `,` at document level (it
/// keeps producing empty documents: jbeder/yaml-cpp#1040), so the stream
/// is first walked event by event and refused when it yields more
/// documents than it has markers.
void check_document_progress(std::string_view text, const std::string& file) {
  auto markers = document_markers(text);
  view_buf buf(text);
  std::istream in(&buf);
  YAML::Parser parser(in);
  position_handler h;
  for (std::size_t docs = 0; parser.HandleNextDocument(h);)
    if (++docs > markers)
      throw manifest_error("scanning multidoc from \"" + file + "\" (line "
                           + std::to_string(h.last.line + 1) + ", column "
                           + std::to_string(h.last.column + 1)
                           + "): unexpected content at document level");
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// `---` or `...` where yaml-cpp sees a document marker (followed by a
/// blank or the line's end).
bool is_marker(std::string_view line) {
  return (line.substr(0, 3) == "---" || line.substr(0, 3) == "...")
         && (line.size() == 3 || is_blank(line[3]));
}

/// A line that opens a block mapping at column 0 for yaml-cpp: a plain key
/// of name bytes, then `:` and a blank or the line's end.
bool opens_root_map(std::string_view line) {
  auto name_byte = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'
           || c == '/';
  };
  if (line.empty() || !name_byte(line[0]) || line[0] == '-'
      || line[0] == '.')
    return false;
  std::size_t k = 1;
  while (k < line.size() && name_byte(line[k]))
    ++k;
  return k < line.size() && line[k] == ':'
         && (k + 1 == line.size() || is_blank(line[k + 1]));
}

/// YAML::LoadAll over the text in place.
std::vector<YAML::Node> load_all(std::string_view text) {
  view_buf buf(text);
  std::istream in(&buf);
  return YAML::LoadAll(in);
}

std::string scalar_at(const YAML::Node& n, const char* key) {
  auto v = n[key];
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

std::string scalar_at(const YAML::Node& n, const char* a, const char* b) {
  auto v = n[a];
  return v && v.IsMap() ? scalar_at(v, b) : std::string();
}

/// The kind a CRD defines, when `r` is a CRD with a spec.
std::optional<crd_kind> crd_of(const resource& r) {
  if (lower(r.kind) != "customresourcedefinition")
    return std::nullopt;
  auto spec = r.node["spec"];
  if (!spec || !spec.IsMap())
    return std::nullopt;
  return crd_kind{scalar_at(spec, "group"), scalar_at(spec, "names", "kind"),
                  scalar_at(spec, "scope") != "Cluster"};
}

std::string group_of(const std::string& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

void collect(const YAML::Node& obj, const std::string& file,
             std::vector<resource>& out) {
  if (!obj || obj.IsNull())
    return;
  int line = static_cast<int>(obj.Mark().line) + 1;
  if (!obj.IsMap())
    throw manifest_error("parsing YAML doc from \"" + file + "\" (line "
                         + std::to_string(line)
                         + "): a document must be a mapping");
  auto kind = scalar_at(obj, "kind");
  if (kind.empty())
    return; // Flux v1 skips documents without a kind
  if (ends_with(kind, "List")) {
    auto items = obj["items"];
    if (items && items.IsSequence())
      for (auto it = items.begin(); it != items.end(); ++it)
        collect(*it, file, out);
    else if (items && !items.IsNull())
      throw manifest_error("parsing YAML doc from \"" + file + "\" (line "
                           + std::to_string(line) + "): " + kind
                           + " items must be a sequence");
    return;
  }
  resource r;
  r.api_version = scalar_at(obj, "apiVersion");
  r.kind = kind;
  r.name = scalar_at(obj, "metadata", "name");
  r.written_ns = scalar_at(obj, "metadata", "namespace");
  r.source = file;
  r.line = line;
  r.node = obj;
  r.annotations = annotations_of(obj);
  out.push_back(std::move(r));
}

} // namespace

std::string file_problem::to_string() const {
  if (line > 0)
    return file + ":" + std::to_string(line) + ": " + message;
  return file + ": " + message;
}

bool is_yaml_path(const std::string& path) {
  return ends_with(path, ".yaml") || ends_with(path, ".yml");
}

std::map<std::string, std::string> annotations_of(const YAML::Node& obj) {
  std::map<std::string, std::string> out;
  if (!obj.IsMap())
    return out;
  const auto md = obj["metadata"];
  if (!md || !md.IsMap())
    return out;
  auto ann = md["annotations"];
  if (!ann || !ann.IsMap())
    return out;
  for (auto it = ann.begin(); it != ann.end(); ++it)
    if (it->first.IsScalar() && it->second.IsScalar())
      out[it->first.Scalar()] = it->second.Scalar();
  return out;
}

namespace {

/// The guarded two passes; yaml-cpp's errors become manifest_errors.
std::vector<YAML::Node> load_guarded(std::string_view text,
                                     const std::string& file) {
  try {
    check_document_progress(text, file);
    return load_all(text);
  } catch (const YAML::Exception& e) {
    throw manifest_error("scanning multidoc from \"" + file + "\" (line "
                         + std::to_string(e.mark.line + 1) + ", column "
                         + std::to_string(e.mark.column + 1) + "): " + e.msg);
  }
}

void check_size(std::string_view text, const std::string& file,
                const limits& lim) {
  if (text.size() > lim.max_file_bytes)
    throw manifest_error("file \"" + file + "\" is larger than "
                         + std::to_string(lim.max_file_bytes) + " bytes");
}

void check_nodes(const std::vector<YAML::Node>& docs, std::string_view text,
                 const std::string& file, const limits& lim) {
  if (detail::nodes_provably_within(text, lim))
    return;
  std::size_t budget = lim.max_nodes;
  for (const auto& d : docs)
    if (!within_node_limit(d, budget))
      throw manifest_error("parsing \"" + file + "\": more than "
                           + std::to_string(lim.max_nodes)
                           + " nodes or an alias cycle (excessive aliasing)");
}

} // namespace

std::vector<YAML::Node> parse_stream(std::string_view text,
                                     const std::string& file,
                                     const limits& lim) {
  check_size(text, file, lim);
  // One pass when LoadAll provably ends (see roots_are_block_maps) and
  // yields no more documents than check_document_progress allows. Anything
  // else, errors included (so that messages stay the same), takes the
  // guarded passes.
  std::vector<YAML::Node> docs;
  bool loaded = false;
  if (detail::roots_are_block_maps(text)) {
    try {
      docs = load_all(text);
      loaded = docs.size() <= document_markers(text);
    } catch (const YAML::Exception&) {
    }
  }
  if (!loaded)
    docs = load_guarded(text, file);
  check_nodes(docs, text, file, lim);
  return docs;
}

namespace detail {

bool roots_are_block_maps(std::string_view text) {
  // yaml-cpp reads UTF-16/32 (NUL bytes) as such and skips a byte order
  // mark: neither is worth reasoning about.
  if (text.find('\0') != std::string_view::npos
      || (!text.empty() && static_cast<unsigned char>(text[0]) >= 0xEF))
    return false;
  bool before_root = true;
  for (std::size_t i = 0; i < text.size();) {
    auto nl = text.find('\n', i);
    auto line = text.substr(i, nl == std::string_view::npos ? nl : nl - i);
    i = nl == std::string_view::npos ? text.size() : nl + 1;
    if (nl != std::string_view::npos && !line.empty() && line.back() == '\r')
      line.remove_suffix(1); // "\r\n" is a line break to yaml-cpp too
    if (is_marker(line)) {
      // Nothing but a comment may follow the marker on its line.
      auto rest = line.find_first_not_of(" \t", 3);
      if (rest != std::string_view::npos && line[rest] != '#')
        return false;
      before_root = true;
      continue;
    }
    if (!line.empty() && line[0] == '%')
      return false; // a directive
    if (!before_root)
      continue; // inside the root mapping
    auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#')
      continue; // blank or comment lines before the root
    if (!opens_root_map(line))
      return false;
    before_root = false;
  }
  return true;
}

bool nodes_provably_within(std::string_view text, const limits& lim) {
  constexpr std::size_t max_nodes_per_byte = 8; // 3 seen: `:` (see header)
  return text.find('*') == std::string_view::npos
         && text.size() < lim.max_nodes / max_nodes_per_byte;
}

std::vector<YAML::Node> parse_stream_guarded(std::string_view text,
                                             const std::string& file,
                                             const limits& lim) {
  check_size(text, file, lim);
  auto docs = load_guarded(text, file);
  check_nodes(docs, text, file, lim);
  return docs;
}

} // namespace detail

bool namespace_allowed(const resource& r,
                       const std::vector<std::string>& allow) {
  if (allow.empty())
    return true;
  auto has = [&](const std::string& ns) {
    return std::find(allow.begin(), allow.end(), ns) != allow.end();
  };
  if (r.cluster_scoped())
    return lower(r.kind) != "namespace" || has(r.name);
  return has(r.ns);
}

std::vector<std::string> manifest_paths(const file_map& files,
                                        const std::vector<std::string>& paths) {
  auto charts = chart_dirs(files);
  std::vector<std::string> roots;
  for (const auto& p : paths)
    roots.push_back(clean(p));
  if (roots.empty())
    roots.push_back("");
  std::vector<std::string> out;
  for (const auto& file : files) {
    const std::string& path = file.first; // lambdas cannot capture bindings
    if (!is_yaml_path(path))
      continue;
    bool wanted = std::any_of(roots.begin(), roots.end(),
                              [&](const auto& r) { return under(path, r); });
    // Like Flux v1's walk, only charts at or below a target path count.
    bool in_chart = std::any_of(charts.begin(), charts.end(), [&](auto& d) {
      return under(parent_dir(path), d)
             && std::any_of(roots.begin(), roots.end(),
                            [&](const auto& r) { return under(d, r); });
    });
    if (wanted && !in_chart)
      out.push_back(path);
  }
  return out;
}

parsed_file parse_file(const std::string& path, const std::string& text,
                       const limits& lim) {
  parsed_file out;
  out.path = path;
  if (text == too_large_marker) {
    out.error = file_problem{
      path, 0, "file is larger than " + std::to_string(lim.max_file_bytes)
                 + " bytes"};
    return out;
  }
  try {
    for (const auto& doc : parse_stream(text, path, lim))
      collect(doc, path, out.objects);
  } catch (const manifest_error& e) {
    out.objects.clear();
    out.error = file_problem{path, 0, e.what()};
    return out;
  }
  for (const auto& r : out.objects)
    if (auto c = crd_of(r))
      out.crds.push_back(std::move(*c));
  return out;
}

load_result resolve(const std::vector<const parsed_file*>& files,
                    const load_options& opts,
                    std::map<std::string, object_origin>* origins) {
  load_result out;
  std::vector<const crd_kind*> crds;
  for (const auto* f : files) {
    out.files.insert(f->path);
    if (f->error)
      out.errors.push_back(*f->error);
    // CRDs anywhere in the set tell the scope of their kinds (§7.3).
    for (const auto& c : f->crds)
      crds.push_back(&c);
  }

  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    const auto& objects = files[fi]->objects;
    for (std::size_t oi = 0; oi < objects.size(); ++oi) {
      const auto& o = objects[oi];
      std::optional<bool> namespaced;
      if (opts.scope)
        namespaced = opts.scope(o.api_version, o.kind);
      if (!namespaced) {
        auto group = group_of(o.api_version);
        for (const auto* c : crds) // the last CRD of a kind wins
          if (c->kind == o.kind && c->group == group)
            namespaced = c->namespaced;
      }
      if (!namespaced)
        namespaced = default_scope(o.api_version, o.kind);
      if (!namespaced) {
        out.warnings.push_back({o.source, o.line,
                                "cannot find scope of resource " + o.kind
                                  + "/" + o.name});
        continue;
      }
      resource r = o;
      r.ns = *namespaced ? (r.written_ns.empty() ? opts.default_namespace
                                                  : r.written_ns)
                         : "";
      r.id = make_id(r.ns, r.kind, r.name);
      if (!namespace_allowed(r, opts.allow_namespaces)) {
        out.excluded.push_back(r.id);
        continue;
      }
      auto id = r.id;
      // try_emplace leaves `r` alone when the ID is taken.
      auto [it, fresh] = out.resources.try_emplace(id, std::move(r));
      if (fresh) {
        if (origins)
          (*origins)[id] = {fi, oi};
        continue;
      }
      out.errors.push_back(
        {r.source, r.line,
         "duplicate definition of '" + r.id + "' (in " + it->second.source
           + ":" + std::to_string(it->second.line) + " and " + r.source + ":"
           + std::to_string(r.line) + ")"});
    }
  }
  return out;
}

load_result load(const file_map& files, const load_options& opts) {
  std::vector<parsed_file> parsed;
  for (const auto& path : manifest_paths(files, opts.paths))
    parsed.push_back(parse_file(path, files.at(path), opts.lim));
  std::vector<const parsed_file*> all;
  for (const auto& f : parsed)
    all.push_back(&f);
  return resolve(all, opts);
}

file_map read_tree(const std::string& root,
                   const std::vector<std::string>& paths, const limits& lim) {
  file_map out;
  std::vector<std::string> roots;
  for (const auto& p : paths)
    roots.push_back(clean(p));
  if (roots.empty())
    roots.push_back("");
  auto add = [&](const fs::path& file) {
    auto rel = fs::relative(file, root).generic_string();
    auto name = base_name(rel);
    if (!is_yaml_path(rel) && name != chart_marker)
      return;
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    if (ec)
      throw manifest_error("reading \"" + rel + "\": " + ec.message());
    if (size > lim.max_file_bytes) {
      out[rel] = too_large_marker;
      return;
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    if (!in && !in.eof())
      throw manifest_error("reading \"" + rel + "\" failed");
    out[rel] = buf.str();
  };
  for (const auto& r : roots) {
    fs::path start = r.empty() ? fs::path(root) : fs::path(root) / r;
    std::error_code ec;
    auto status = fs::status(start, ec);
    if (ec || !fs::exists(status))
      throw manifest_error("unable to read root path \"" + r + "\"");
    if (fs::is_regular_file(status)) {
      add(start);
      continue;
    }
    for (auto it = fs::recursive_directory_iterator(
           start, fs::directory_options::skip_permission_denied);
         it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_directory() && it->path().filename() == ".git") {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file())
        add(it->path());
    }
  }
  return out;
}

} // namespace fluxd::manifests
