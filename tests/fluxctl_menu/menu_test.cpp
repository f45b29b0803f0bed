#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <sstream>
#include <thread>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "adapters/api/types.hpp"
#include "adapters/fluxctl/menu.hpp"
#include "adapters/fluxctl/tabwriter.hpp"
#include "tests/adapters/api/api_server.hpp"

using namespace fluxd;
using fluxctl::key;

namespace {

api::update_result plan() {
  api::update_result r;
  r["default:deployment/a"] = {
      "success", "",
      std::vector<api::container_update>{{"c1", "repo/a:1", "repo/a:2"},
                                         {"c2", "repo/b:1", "repo/b:3"}}};
  r["default:deployment/b"] = {"failed", "boom", std::nullopt};
  r["default:deployment/c"] = {
      "success", "",
      std::vector<api::container_update>{{"c", "x/c:1", "x/c:2"}}};
  r["default:deployment/d"] = {"skipped", "locked", std::nullopt};
  return r;
}

/// Keys from a script; the test fails if the menu wants more.
std::function<key()> script(std::deque<key> keys) {
  auto q = std::make_shared<std::deque<key>>(std::move(keys));
  return [q] {
    if (q->empty())
      throw std::runtime_error("the menu asked for more keys");
    auto k = q->front();
    q->pop_front();
    return k;
  };
}

const std::string help =
    "\nUse arrow keys and [Space] to toggle updates; hit [Enter] to release "
    "selected.\n";

} // namespace

TEST_CASE("the menu draws Flux v1's rows and returns the checked updates") {
  fluxctl::release_menu menu{plan(), 0};
  REQUIRE(menu.selectable());
  std::ostringstream out;
  auto specs = menu.run(out,
                        script({{0, 40},    // down: c2
                                {' ', 0},   // uncheck c2
                                {'j', 0},   // c (and b's row, as Flux v1)
                                {'k', 0},   // back to c2
                                {13, 0}}),  // enter
                        80);
  auto first = fluxctl::tabwrite(
      "    WORKLOAD \tSTATUS \tUPDATES\n"
      "\u21d2 \u25c9 default:deployment/a\tsuccess\tc1: repo/a:1 -> 2\n"
      "  \u25c9 \t\tc2: repo/b:1 -> 3\n"
      "    default:deployment/b\tfailed\tboom\n"
      "  \u25c9 default:deployment/c\tsuccess\tc: x/c:1 -> 2\n"
      + help);
  auto unchecked = fluxctl::tabwrite(
      "    WORKLOAD \tSTATUS \tUPDATES\n"
      "  \u25c9 default:deployment/a\tsuccess\tc1: repo/a:1 -> 2\n"
      "\u21d2 \u25ef \t\tc2: repo/b:1 -> 3\n"
      "    default:deployment/b\tfailed\tboom\n"
      "  \u25c9 default:deployment/c\tsuccess\tc: x/c:1 -> 2\n"
      + help);
  auto at_c = fluxctl::tabwrite(
      "    WORKLOAD \tSTATUS \tUPDATES\n"
      "  \u25c9 default:deployment/a\tsuccess\tc1: repo/a:1 -> 2\n"
      "  \u25ef \t\tc2: repo/b:1 -> 3\n"
      "\u21d2   default:deployment/b\tfailed\tboom\n"
      "\u21d2 \u25c9 default:deployment/c\tsuccess\tc: x/c:1 -> 2\n"
      + help);
  auto text = out.str();
  // Each redraw moves the cursor up over the 7 lines drawn before.
  auto up = std::string("\033[7A");
  CHECK(text.rfind(first + "\033[?25l", 0) == 0);
  CHECK(text.find(up + unchecked) != std::string::npos);
  CHECK(text.find(up + at_c) != std::string::npos);
  CHECK(text.size() > 6);
  CHECK(text.substr(text.size() - 6) == "\033[?25h");
  REQUIRE(specs.size() == 2);
  CHECK(specs["default:deployment/a"]->size() == 1);
  CHECK(specs["default:deployment/a"]->at(0).container == "c1");
  CHECK(specs["default:deployment/c"]->at(0).target == "x/c:2");
}

TEST_CASE("the menu: abort keys, nothing to choose, wrapped lines") {
  for (int k : {int{'q'}, 27, 3}) {
    fluxctl::release_menu menu{plan(), 0};
    std::ostringstream out;
    CHECK_THROWS_WITH(menu.run(out, script({{k, 0}}), 80), "Aborted.");
  }
  api::update_result nothing;
  nothing["default:deployment/d"] = {"skipped", "locked", std::nullopt};
  fluxctl::release_menu empty{nothing, 1};
  CHECK_FALSE(empty.selectable());
  std::ostringstream out;
  CHECK_THROWS_WITH(empty.run(out, script({}), 80), "No changes found.");

  // 20 columns: the heading (29 bytes) takes 2 lines, the row (43 bytes
  // with its glyphs) 3, the blank line 1, the help (78) 4.
  api::update_result one;
  one["ns:deployment/x"] = {
      "success", "", std::vector<api::container_update>{{"c", "r:1", "r:2"}}};
  fluxctl::release_menu narrow{one, 0};
  std::ostringstream drawn;
  narrow.run(drawn, script({{' ', 0}, {13, 0}}), 20);
  CHECK(drawn.str().find("\033[10A") != std::string::npos);
}

namespace {

/// The real fluxctl with a pty as its controlling terminal (forkpty:
/// setsid, TIOCSCTTY, the pty on stdin/stdout/stderr).
class pty_fluxctl {
public:
  explicit pty_fluxctl(const std::vector<std::string>& args) {
    winsize ws{};
    ws.ws_row = 24;
    ws.ws_col = 100;
    pid_ = ::forkpty(&master_, nullptr, nullptr, &ws);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      std::vector<char*> argv;
      static std::string bin = std::string(FLUXD_BINARY_DIR) + "/bin/fluxctl";
      argv.push_back(bin.data());
      for (auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~pty_fluxctl() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(master_);
  }

  /// Reads what is there within `ms` into out().
  void pump(int ms) {
    pollfd p{master_, POLLIN, 0};
    if (::poll(&p, 1, ms) > 0) {
      char buf[4096];
      auto n = ::read(master_, buf, sizeof buf);
      if (n > 0)
        out_.append(buf, static_cast<std::size_t>(n));
    }
  }
  bool wait_for(const std::string& needle, std::size_t count = 1) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      std::size_t seen = 0;
      for (auto at = out_.find(needle); at != std::string::npos;
           at = out_.find(needle, at + 1))
        ++seen;
      if (seen >= count)
        return true;
      pump(50);
    }
    return false;
  }
  /// Waits until fluxctl has the terminal in raw mode (reading a key):
  /// typed earlier, "\r" would be cooked into "\n".
  bool wait_raw() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      termios t{};
      if (::tcgetattr(master_, &t) == 0 && !(t.c_lflag & ICANON))
        return true;
      pump(10);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }
  void type(const std::string& bytes) {
    REQUIRE(wait_raw());
    REQUIRE(::write(master_, bytes.data(), bytes.size())
            == static_cast<ssize_t>(bytes.size()));
  }
  int exit_code() {
    // A finished child's pty polls at once (hang-up): pace by the clock.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        pump(50);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
      }
      pump(50);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  const std::string& out() const { return out_; }

private:
  int master_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string out_;
};

const std::string menu_ready = "hit [Enter] to release selected.";

} // namespace

TEST_CASE("fluxctl release --interactive through a terminal: pick, submit") {
  test::api_server s;
  pty_fluxctl p{{"--url", s.url(), "release", "--all", "--update-all-images",
                 "--interactive", "--user", "u"}};
  REQUIRE(p.wait_for(menu_ready));
  CHECK(p.out().find("demo:deployment/podinfo") != std::string::npos);
  CHECK(p.out().find("podinfod: stefanprodan/podinfo:3.1.0 -> 3.1.1")
        != std::string::npos);
  p.type(" "); // uncheck
  REQUIRE(p.wait_for(menu_ready, 2));
  CHECK(p.out().find("\u25ef") != std::string::npos);
  p.type("\033[B"); // down (wraps: one row)
  REQUIRE(p.wait_for(menu_ready, 3));
  p.type(" "); // check again
  REQUIRE(p.wait_for(menu_ready, 4));
  p.type("\r");
  auto code = p.exit_code();
  INFO(p.out());
  CHECK(code == 0);
  CHECK(p.out().find("Submitting selected release ...") != std::string::npos);
  auto specs = s.daemon.specs();
  REQUIRE(specs.size() == 2);
  CHECK(api::to_json(specs[1])
        == R"({"type":"containers","cause":{"Message":"","User":"u"},)"
           R"("spec":{"Kind":"execute","ContainerSpecs":{)"
           R"("demo:deployment/podinfo":[{"Container":"podinfod",)"
           R"("Current":"stefanprodan/podinfo:3.1.0",)"
           R"("Target":"stefanprodan/podinfo:3.1.1"}]},)"
           R"("SkipMismatches":false,"Force":false}})");
}

TEST_CASE("fluxctl release --interactive: q aborts, nothing is released") {
  test::api_server s;
  pty_fluxctl p{{"--url", s.url(), "release", "--all", "--update-all-images",
                 "--interactive"}};
  REQUIRE(p.wait_for(menu_ready));
  p.type("q");
  CHECK(p.exit_code() == 0);
  CHECK(p.out().find("Aborted.") != std::string::npos);
  CHECK(s.daemon.specs().size() == 1); // the plan only
}
