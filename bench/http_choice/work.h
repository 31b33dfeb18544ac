// Shared by the three HTTP benchmark servers: the simulated feed-scoring work (a calibrated
// amount of CPU, not a sleep, so it competes for cores like real scoring) and the ~1 KB JSON body.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace bench {

// A dot-product-like loop the compiler cannot drop (the result feeds the response).
inline float Spin(int64_t iters) {
  float acc = 0.f, x = 1.0001f;
  for (int64_t i = 0; i < iters; ++i) {
    acc += x * 0.999f;
    x = x * 1.0000001f + 1e-7f;
  }
  return acc;
}

// Iterations of Spin that take `micros` on this machine, measured once at start-up.
inline int64_t CalibrateIters(int64_t micros) {
  if (micros <= 0) return 0;
  const int64_t probe = 2'000'000;
  double best = 1e18;
  for (int r = 0; r < 5; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    volatile float sink = Spin(probe);
    (void)sink;
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    if (us < best) best = us;
  }
  return static_cast<int64_t>(probe * micros / best);
}

// ~1 KB of feed JSON: 10 items; `score` carries the work's result so it is never optimised out.
inline std::string Body(float score) {
  std::string s = "{\"request_id\":\"0123456789abcdef\",\"items\":[";
  char buf[160];
  for (int i = 0; i < 10; ++i) {
    std::snprintf(buf, sizeof(buf),
                  "%s{\"video_id\":\"v%07d\",\"creator\":\"c%05d\",\"score\":%.6f,"
                  "\"reason\":\"similar_to_liked\"}",
                  i ? "," : "", 1000000 + i, 500 + i, std::fmod(score, 1.0f) + i * 0.01);
    s += buf;
  }
  s += "],\"model_version\":42}";
  return s;
}

struct Args {
  int port = 18080;
  int64_t work_us = 0;
  int threads = 2;
};

// argv: PORT WORK_US THREADS
inline Args ParseArgs(int argc, char** argv) {
  Args a;
  if (argc > 1) a.port = std::atoi(argv[1]);
  if (argc > 2) a.work_us = std::atoll(argv[2]);
  if (argc > 3) a.threads = std::atoi(argv[3]);
  return a;
}

}  // namespace bench
