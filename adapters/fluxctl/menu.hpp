#pragma once

#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "adapters/api/types.hpp"

/// `fluxctl release --interactive`: Flux v1's terminal menu of the planned
/// container updates (pkg/update/menu.go), drawn the same way.
namespace fluxd::fluxctl {

/// The menu ended without a selection: "Aborted." or "No changes found."
/// (Flux v1 prints it and exits 0).
class menu_stopped : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// One key press as Flux v1's getChar reports it: an ASCII code for a
/// single byte, or a JavaScript key code (38 up, 40 down, 37, 39) for an
/// "ESC [ x" sequence.
struct key {
  int ascii = 0;
  int code = 0;
};

/// The controlling terminal (Flux v1 reads /dev/tty, not stdin), in raw
/// mode only while a key is read, as Flux v1 does.
class terminal {
public:
  /// Throws client_error naming `path` when it cannot be opened.
  explicit terminal(const std::string& path);
  ~terminal();
  terminal(const terminal&) = delete;
  terminal& operator=(const terminal&) = delete;
  /// Throws client_error when the terminal is gone.
  key read_key();
  /// Columns; 9999 when unknown (Flux v1's fallback).
  int width() const;

private:
  int fd_ = -1;
};

class release_menu {
public:
  /// Items from a plan's result, IDs sorted; `verbosity` as result tables.
  release_menu(const api::update_result& result, int verbosity);

  /// False when no row has a container update (Flux v1: "No changes
  /// found.").
  bool selectable() const { return !checkable_.empty(); }

  /// Draws the menu to `out` (`width` columns) and reacts to keys until
  /// Enter (returns the checked updates by workload) or q/Esc/Ctrl-C.
  /// Throws menu_stopped.
  api::container_specs run(std::ostream& out,
                           const std::function<key()>& read_key, int width);

private:
  struct item {
    std::string id;
    std::string status;
    std::string error;
    api::container_update update;
    bool checked = false;
    bool checkable() const { return !update.container.empty(); }
  };
  void draw(std::ostream& out);
  std::string row(const item& it, bool inline_row) const;

  std::vector<item> items_;
  std::vector<std::size_t> checkable_; ///< indexes of checkable items
  std::size_t cursor_ = 0;
  int width_ = 9999;
  int lines_ = 0; ///< terminal lines drawn last time
};

} // namespace fluxd::fluxctl
