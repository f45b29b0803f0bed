#pragma once

#include <chrono>
#include <optional>
#include <string_view>

/// Politeness towards one registry host, as pure classes: the caller passes
/// the time in, so actors (CAF's clock) and tests (no clock) drive them alike.
namespace fluxd::registry {

using steady_time = std::chrono::steady_clock::time_point;
using duration = std::chrono::steady_clock::duration;

/// What a registry told us about its limits on one response.
struct rate_limit_info {
  std::optional<long> limit;                  ///< `ratelimit-limit: 100;w=…`
  std::optional<long> remaining;              ///< `ratelimit-remaining`
  std::optional<std::chrono::seconds> window; ///< the `w=` of either
  std::optional<std::chrono::seconds> retry_after; ///< `Retry-After`
};

/// Parses `100;w=21600` into {100, 21600 s}; nullopt count when unparsable.
void parse_ratelimit_header(std::string_view value,
                            std::optional<long>& count,
                            std::optional<std::chrono::seconds>& window);

/// `Retry-After` is either delta-seconds or an HTTP-date; `now_unix` is the
/// wall-clock time for the latter. Negative or unparsable → nullopt.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      long long now_unix);

/// Classic token bucket: `rate` tokens per second, at most `burst` stored.
class token_bucket {
public:
  token_bucket(double rate, double burst, steady_time now);

  /// Takes one token if there is one.
  bool try_take(steady_time now);
  /// Charges `n` more tokens for requests already made (a job that needed
  /// several HTTP requests); the bucket may go into debt.
  void charge(double n, steady_time now);
  /// How long until a token is available (zero when one is there now).
  duration wait_time(steady_time now);

  void set_rate(double rate, steady_time now);
  double rate() const { return rate_; }
  double burst() const { return burst_; }

private:
  void refill(steady_time now);

  double rate_;
  double burst_;
  double tokens_;
  steady_time last_;
};

/// The back-off state of one host (Flux v1 §11.5, made stricter): a 429
/// halves the rate (floor 0.1/s) and pauses the host until `Retry-After`
/// (or an exponential delay); 5xx and connection failures pause with an
/// exponential delay without touching the rate; `ratelimit-remaining: 0`
/// pauses until the window ends (capped). Recovery multiplies the rate by
/// 1.5 after a clean stretch, never above the configured maximum, and never
/// within `recovery_quiet` of the last back-off.
class backoff {
public:
  struct options {
    double max_rate = 50;     ///< --registry-rps
    double min_rate = 0.1;
    duration base_delay = std::chrono::seconds(1);
    duration max_delay = std::chrono::minutes(5);
    duration recovery_quiet = std::chrono::minutes(20);
  };

  explicit backoff(options opts) : opts_(opts), rate_(opts.max_rate) {}

  /// Feeds one response. Returns true when it changed the rate or pause.
  bool on_response(int status, const rate_limit_info& info, steady_time now);
  /// A request that never got an answer (refused, timed out).
  void on_unreachable(steady_time now);
  /// A whole scan of a repository went well: maybe speed up again.
  bool on_recovered(steady_time now);

  /// No request to this host before this time.
  steady_time paused_until() const { return paused_until_; }
  bool paused(steady_time now) const { return now < paused_until_; }
  double rate() const { return rate_; }
  int consecutive_failures() const { return failures_; }

private:
  duration next_delay();
  void pause_for(duration d, steady_time now);

  options opts_;
  double rate_;
  int failures_ = 0;
  steady_time paused_until_{};
  std::optional<steady_time> last_backoff_;
};

} // namespace fluxd::registry
