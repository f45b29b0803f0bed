#include "adapters/registry/rate.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <string>

namespace fluxd::registry {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::optional<long> to_long(std::string_view s) {
  s = trim(s);
  long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size())
    return std::nullopt;
  return v;
}

} // namespace

void parse_ratelimit_header(std::string_view value, std::optional<long>& count,
                            std::optional<std::chrono::seconds>& window) {
  auto semi = value.find(';');
  count = to_long(value.substr(0, semi));
  if (semi == std::string_view::npos)
    return;
  auto params = value.substr(semi + 1);
  auto w = params.find("w=");
  if (w == std::string_view::npos)
    return;
  auto rest = params.substr(w + 2);
  if (auto v = to_long(rest.substr(0, rest.find(';'))); v && *v >= 0)
    window = std::chrono::seconds(*v);
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      long long now_unix) {
  value = trim(value);
  if (auto secs = to_long(value)) {
    if (*secs < 0)
      return std::nullopt;
    return std::chrono::seconds(*secs);
  }
  // IMF-fixdate: "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  std::string text{value};
  if (!strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm))
    return std::nullopt;
  auto at = static_cast<long long>(timegm(&tm));
  return std::chrono::seconds(std::max(0LL, at - now_unix));
}

// -- token_bucket -------------------------------------------------------------

token_bucket::token_bucket(double rate, double burst, steady_time now)
  : rate_(rate), burst_(std::max(1.0, burst)), tokens_(burst_), last_(now) {
}

void token_bucket::refill(steady_time now) {
  if (now <= last_)
    return;
  std::chrono::duration<double> elapsed = now - last_;
  tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
  last_ = now;
}

bool token_bucket::try_take(steady_time now) {
  refill(now);
  if (tokens_ < 1.0)
    return false;
  tokens_ -= 1.0;
  return true;
}

void token_bucket::charge(double n, steady_time now) {
  refill(now);
  tokens_ -= n;
}

duration token_bucket::wait_time(steady_time now) {
  refill(now);
  if (tokens_ >= 1.0)
    return duration::zero();
  if (rate_ <= 0)
    return std::chrono::hours(24);
  std::chrono::duration<double> secs{(1.0 - tokens_) / rate_};
  return std::chrono::ceil<duration>(secs);
}

void token_bucket::set_rate(double rate, steady_time now) {
  refill(now);
  rate_ = rate;
}

// -- backoff ------------------------------------------------------------------

duration backoff::next_delay() {
  auto d = opts_.base_delay;
  for (int i = 1; i < failures_ && d < opts_.max_delay; ++i)
    d *= 2;
  return std::min(d, opts_.max_delay);
}

void backoff::pause_for(duration d, steady_time now) {
  paused_until_ = std::max(paused_until_, now + std::min(d, opts_.max_delay));
  last_backoff_ = now;
}

bool backoff::on_response(int status, const rate_limit_info& info,
                          steady_time now) {
  if (status == 429) {
    ++failures_;
    rate_ = std::max(opts_.min_rate, rate_ / 2);
    pause_for(info.retry_after ? duration(*info.retry_after) : next_delay(),
              now);
    return true;
  }
  if (status >= 500) {
    ++failures_;
    pause_for(info.retry_after ? duration(*info.retry_after) : next_delay(),
              now);
    return true;
  }
  if (info.remaining && *info.remaining <= 0) {
    // The registry says the window is used up: wait for it to reset instead
    // of spending requests that will only get 429.
    auto wait = info.window ? duration(*info.window) : next_delay();
    pause_for(wait, now);
    return true;
  }
  if (status < 400)
    failures_ = 0;
  return false;
}

void backoff::on_unreachable(steady_time now) {
  ++failures_;
  pause_for(next_delay(), now);
}

bool backoff::on_recovered(steady_time now) {
  failures_ = 0;
  if (rate_ >= opts_.max_rate)
    return false;
  if (last_backoff_ && now - *last_backoff_ < opts_.recovery_quiet)
    return false;
  rate_ = std::min(opts_.max_rate, rate_ * 1.5);
  return true;
}

} // namespace fluxd::registry
