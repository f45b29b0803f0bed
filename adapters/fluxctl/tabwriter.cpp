#include "adapters/fluxctl/tabwriter.hpp"

#include <vector>

namespace fluxd::fluxctl {

namespace {

constexpr size_t padding = 2;

using line = std::vector<std::string>;

size_t runes(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80)
      ++n;
  return n;
}

struct formatter {
  std::vector<line> lines;
  std::vector<size_t> widths;
  std::string out;

  void write_lines(size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      auto& l = lines[i];
      for (size_t j = 0; j < l.size(); ++j) {
        out += l[j];
        if (j < widths.size())
          out.append(widths[j] - runes(l[j]), ' ');
      }
      if (i + 1 < lines.size())
        out += '\n';
    }
  }

  /// Go's (*Writer).format: recursive over columns, one block at a time.
  void format(size_t line0, size_t line1) {
    size_t column = widths.size();
    for (size_t t = line0; t < line1; ++t) {
      if (column + 1 >= lines[t].size())
        continue;
      write_lines(line0, t);
      line0 = t;
      size_t width = 0;
      for (; t < line1; ++t) {
        if (column + 1 >= lines[t].size())
          break;
        width = std::max(width, runes(lines[t][column]) + padding);
      }
      widths.push_back(width);
      format(line0, t);
      widths.pop_back();
      line0 = t;
      if (t == line1)
        return;
    }
    write_lines(line0, line1);
  }
};

} // namespace

std::string tabwrite(const std::string& text) {
  formatter f;
  f.lines.emplace_back();
  f.lines.back().emplace_back();
  for (char c : text) {
    if (c == '\t') {
      f.lines.back().emplace_back();
    } else if (c == '\n') {
      f.lines.emplace_back();
      f.lines.back().emplace_back();
    } else {
      f.lines.back().back() += c;
    }
  }
  f.format(0, f.lines.size());
  return f.out;
}

} // namespace fluxd::fluxctl
