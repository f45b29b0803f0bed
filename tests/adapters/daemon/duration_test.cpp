#include <catch2/catch.hpp>

#include "adapters/config/duration.hpp"

using fluxd::config::duration;
using fluxd::config::format_duration;
using fluxd::config::parse_duration;
using namespace std::chrono_literals;

TEST_CASE("Go durations parse as time.ParseDuration does") {
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("20s") == 20s);
  CHECK(parse_duration("1h30m") == 90min);
  CHECK(parse_duration("1.5h") == 90min);
  CHECK(parse_duration("300ms") == 300ms);
  CHECK(parse_duration("10us") == 10us);
  CHECK(parse_duration("10\xC2\xB5s") == 10us);
  CHECK(parse_duration("7ns") == 7ns);
  CHECK(parse_duration("0") == duration{0});
  CHECK(parse_duration("-2s") == -2s);
  CHECK(parse_duration("+2s") == 2s);
  CHECK(parse_duration(".5s") == 500ms);
  CHECK(parse_duration("2h45m30.5s") == 2h + 45min + 30500ms);
}

TEST_CASE("bad durations are rejected with Go's messages") {
  auto message = [](const char* text) {
    try {
      parse_duration(text);
    } catch (const fluxd::config::duration_error& e) {
      return std::string{e.what()};
    }
    return std::string{"accepted"};
  };
  CHECK(message("") == "time: invalid duration \"\"");
  CHECK(message("5") == "time: missing unit in duration \"5\"");
  CHECK(message("5x") == "time: unknown unit \"x\" in duration \"5x\"");
  CHECK(message("5min") == "time: unknown unit \"min\" in duration \"5min\"");
  CHECK(message("m") == "time: invalid duration \"m\"");
  CHECK(message("1.s.") != "accepted");
  CHECK(message("99999999999h") == "time: invalid duration \"99999999999h\"");
}

TEST_CASE("durations format as Go's Duration.String") {
  CHECK(format_duration(5min) == "5m0s");
  CHECK(format_duration(20s) == "20s");
  CHECK(format_duration(90min) == "1h30m0s");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(duration{0}) == "0s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(-1s) == "-1s");
  CHECK(format_duration(1us) == "1\xC2\xB5s");
  CHECK(format_duration(7ns) == "7ns");
  for (auto text : {"5m0s", "1h30m0s", "1.5s", "250ms", "2h45m30.5s"})
    CHECK(format_duration(parse_duration(text)) == text);
}
