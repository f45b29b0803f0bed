#pragma once

#include <chrono>
#include <mutex>

namespace fluxd::kube {

/// client-go's token bucket (--k8s-qps/--k8s-burst): `burst` tokens at
/// most, refilled at `qps` per second. A reservation may drive the count
/// below zero; the caller then waits until its token has been earned, so
/// waiters are served in order. Pure: time is passed in.
class token_bucket {
public:
  using clock = std::chrono::steady_clock;

  /// qps <= 0 means unlimited.
  token_bucket(double qps, int burst, clock::time_point now);

  /// Takes one token and returns how long to wait before using it.
  clock::duration reserve(clock::time_point now);

  /// Tokens available at `now` (negative while reservations are pending).
  double tokens(clock::time_point now) const;

private:
  double qps_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

/// Thread-safe wrapper that sleeps for the caller.
class rate_limiter {
public:
  rate_limiter(double qps, int burst);
  void acquire();

private:
  std::mutex mtx_;
  token_bucket bucket_;
};

} // namespace fluxd::kube
