#pragma once

#include <cstddef>
#include <string>
#include <string_view>

/// A small position-aware view of YAML source text: yaml-cpp tells where a
/// node starts (Mark), these helpers find where it ends and how it is
/// written, so edits can splice the text and keep every other byte.
namespace fluxd::manifests::yaml_text {

struct line {
  std::size_t begin = 0; ///< first byte
  std::size_t end = 0;   ///< before `\r\n` / `\n`
  std::size_t next = 0;  ///< first byte of the following line (or size)
};

line line_at(std::string_view s, std::size_t pos);
/// Leading spaces of the line starting at `begin`.
std::size_t indent_at(std::string_view s, std::size_t begin);
/// True when the line holds only spaces or a comment.
bool blank_or_comment(std::string_view s, const line& l);
/// The file's line break: `\r\n` when its first line ends so.
std::string eol_of(std::string_view s);

enum class style { plain, single_quoted, double_quoted, literal, folded };

struct scalar_span {
  std::size_t begin = 0; ///< after any tag/anchor properties
  std::size_t end = 0;   ///< one past the last byte of the scalar
  style how = style::plain;
};

/// The scalar starting at (or after the properties at) `pos`. `parent_col`
/// is the column a continuation line must exceed (the owning key's column);
/// `flow` is true inside `[…]`/`{…}`.
scalar_span scalar_at(std::string_view s, std::size_t pos,
                      std::size_t parent_col, bool flow);

/// Skips `!tag` / `&anchor` properties and spaces from `pos`.
std::size_t skip_properties(std::string_view s, std::size_t pos);

/// One past the `]`/`}` matching the opener at `pos`.
std::size_t flow_end(std::string_view s, std::size_t pos);

/// Whether `v` reads back as the same string when written plain.
bool plain_safe(std::string_view v, bool flow);

/// `v` written in `preferred` style when that keeps it a string, else
/// single-quoted (double-quoted when it has line breaks or controls).
std::string render(std::string_view v, style preferred, bool flow);

} // namespace fluxd::manifests::yaml_text
