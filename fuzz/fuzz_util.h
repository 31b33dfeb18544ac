// What the fuzz targets share: a temporary file or directory private to the fuzzing process, for
// the parsers whose input is a file (CSV tables, log segments, snapshots), and a check that
// aborts with a message, so a broken round trip is reported as a crash with its input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace foryou::fuzz {

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A directory under $TMPDIR (or /tmp) named after the target and the process, created on first
// use, emptied by each call (one input never sees the files of the previous one) and removed at
// exit.
inline std::filesystem::path FreshDir(std::string_view target) {
  struct TempDir {
    std::filesystem::path path;
    ~TempDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const TempDir dir{std::filesystem::temp_directory_path() /
                           (std::string("foryou_fuzz_") + std::string(target) + "_" +
                            std::to_string(::getpid()))};
  std::filesystem::remove_all(dir.path);
  std::filesystem::create_directories(dir.path);
  return dir.path;
}

inline void WriteFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

// Aborts (the fuzzer reports the input) when an invariant of the code under test is broken.
#define FORYOU_FUZZ_CHECK(cond)                                                       \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

}  // namespace foryou::fuzz
