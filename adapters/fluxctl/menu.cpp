#include "adapters/fluxctl/menu.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "adapters/fluxctl/client.hpp"
#include "adapters/fluxctl/output.hpp"
#include "adapters/fluxctl/tabwriter.hpp"

namespace fluxd::fluxctl {

namespace {

const char* glyph_cursor = "\u21d2";
const char* glyph_checked = "\u25c9";
const char* glyph_unchecked = "\u25ef";
const char* heading = "WORKLOAD \tSTATUS \tUPDATES";

} // namespace

// -- terminal ----------------------------------------------------------------

terminal::terminal(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd_ < 0)
    throw client_error("--interactive needs a terminal: cannot open " + path
                       + ": " + std::strerror(errno)
                       + ". Use --dry-run to see the plan, then release "
                         "with --workload and --update-image.");
}

terminal::~terminal() {
  if (fd_ >= 0)
    ::close(fd_);
}

key terminal::read_key() {
  termios saved{};
  bool raw = ::tcgetattr(fd_, &saved) == 0;
  if (raw) {
    termios t = saved;
    ::cfmakeraw(&t);
    ::tcsetattr(fd_, TCSANOW, &t);
  }
  unsigned char bytes[3] = {};
  ssize_t n;
  do
    n = ::read(fd_, bytes, sizeof bytes);
  while (n < 0 && errno == EINTR);
  if (raw)
    ::tcsetattr(fd_, TCSANOW, &saved);
  if (n <= 0)
    throw client_error("the terminal closed while the menu was waiting "
                       "for a key");
  key k;
  if (n == 3 && bytes[0] == 27 && bytes[1] == '[') {
    switch (bytes[2]) {
    case 'A': k.code = 38; break;
    case 'B': k.code = 40; break;
    case 'C': k.code = 39; break;
    case 'D': k.code = 37; break;
    default: break;
    }
  } else if (n == 1) {
    k.ascii = bytes[0];
  }
  return k;
}

int terminal::width() const {
  winsize ws{};
  for (int fd : {STDIN_FILENO, fd_})
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
      return ws.ws_col;
  return 9999;
}

// -- release_menu -------------------------------------------------------------

release_menu::release_menu(const api::update_result& result,
                           int verbosity) {
  auto add = [this](item it) {
    if (it.checkable()) {
      it.checked = true;
      checkable_.push_back(items_.size());
    }
    items_.push_back(std::move(it));
  };
  for (auto& [id, r] : result) { // std::map: IDs sorted as Flux v1 sorts
    if ((r.status == "ignored" && verbosity < 2)
        || (r.status == "skipped" && verbosity < 1))
      continue;
    if (!r.error.empty())
      add({id, r.status, r.error, {}, false});
    auto updates = r.per_container.value_or(
        std::vector<api::container_update>{});
    for (auto& u : updates)
      add({id, r.status, "", u, false});
    if (r.error.empty() && updates.empty())
      add({id, r.status, "", {}, false});
  }
}

std::string release_menu::row(const item& it, bool inline_row) const {
  std::string updates =
      it.checkable() ? it.update.container + ": " + it.update.current + " -> "
                           + split_ref(it.update.target).tag
                     : it.error;
  return inline_row ? "\t\t" + updates
                    : it.id + "\t" + it.status + "\t" + updates;
}

void release_menu::draw(std::ostream& out) {
  if (lines_ != 0)
    out << "\033[" << lines_ << "A";
  lines_ = 0;
  std::string text;
  // Flux v1 counts the lines a line wraps into from its bytes before the
  // tab stops are expanded; the cursor goes up by that much next time.
  auto writeln = [&](const std::string& line) {
    text += line + "\n";
    lines_ += static_cast<int>(line.size()) / width_ + 1;
  };
  writeln(std::string("    ") + heading);
  std::size_t index = 0;
  const std::string* previous = nullptr;
  for (auto& it : items_) {
    bool inline_row = previous && *previous == it.id;
    // As Flux v1: the index counts the checkable rows before this one.
    std::string pre = index == cursor_ ? glyph_cursor : " ";
    pre += " ";
    pre += !it.checkable() ? " " : it.checked ? glyph_checked : glyph_unchecked;
    pre += " ";
    writeln(pre + row(it, inline_row));
    previous = &it.id;
    if (it.checkable())
      ++index;
  }
  writeln("");
  writeln("Use arrow keys and [Space] to toggle updates; hit [Enter] to "
          "release selected.");
  out << tabwrite(text) << std::flush;
}

api::container_specs release_menu::run(std::ostream& out,
                                       const std::function<key()>& read_key,
                                       int width) {
  width_ = width > 0 ? width : 9999;
  if (checkable_.empty())
    throw menu_stopped("No changes found.");
  draw(out);
  out << "\033[?25l" << std::flush; // hide the cursor
  struct show_cursor {
    std::ostream& out;
    ~show_cursor() { out << "\033[?25h" << std::flush; }
  } restore{out};
  auto count = checkable_.size();
  for (;;) {
    auto k = read_key();
    switch (k.ascii) {
    case 3:
    case 27:
    case 'q':
      throw menu_stopped("Aborted.");
    case ' ':
      items_[checkable_[cursor_]].checked =
          !items_[checkable_[cursor_]].checked;
      draw(out);
      break;
    case 13: {
      api::container_specs specs;
      for (auto& it : items_)
        if (it.checked) {
          auto& list = specs[it.id];
          if (!list)
            list.emplace();
          list->push_back(it.update);
        }
      return specs;
    }
    case 9:
    case 'j':
      cursor_ = (cursor_ + 1) % count;
      draw(out);
      break;
    case 'k':
      cursor_ = (cursor_ + count - 1) % count;
      draw(out);
      break;
    default:
      if (k.code == 40) {
        cursor_ = (cursor_ + 1) % count;
        draw(out);
      } else if (k.code == 38) {
        cursor_ = (cursor_ + count - 1) % count;
        draw(out);
      }
    }
  }
}

} // namespace fluxd::fluxctl
