#include "adapters/kube/rate_limiter.hpp"

#include <algorithm>
#include <thread>

namespace fluxd::kube {

token_bucket::token_bucket(double qps, int burst, clock::time_point now)
  : qps_(qps),
    burst_(std::max(1, burst)),
    tokens_(std::max(1, burst)),
    last_(now) {
}

double token_bucket::tokens(clock::time_point now) const {
  if (now <= last_)
    return tokens_;
  std::chrono::duration<double> elapsed = now - last_;
  return std::min(burst_, tokens_ + elapsed.count() * qps_);
}

token_bucket::clock::duration token_bucket::reserve(clock::time_point now) {
  if (qps_ <= 0)
    return clock::duration::zero();
  tokens_ = tokens(now);
  if (now > last_)
    last_ = now;
  tokens_ -= 1;
  if (tokens_ >= 0)
    return clock::duration::zero();
  std::chrono::duration<double> wait(-tokens_ / qps_);
  return std::chrono::duration_cast<clock::duration>(wait);
}

rate_limiter::rate_limiter(double qps, int burst)
  : bucket_(qps, burst, token_bucket::clock::now()) {
}

void rate_limiter::acquire() {
  token_bucket::clock::duration wait;
  {
    std::lock_guard<std::mutex> lock(mtx_);
    wait = bucket_.reserve(token_bucket::clock::now());
  }
  if (wait > token_bucket::clock::duration::zero())
    std::this_thread::sleep_for(wait);
}

} // namespace fluxd::kube
