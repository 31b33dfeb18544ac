// Test inputs made with the ffmpeg CLI in a fresh temporary directory (tiny: a few KB each).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

extern "C" {
#include <libavutil/log.h>
}

namespace foryou::media {

class TempDir {
 public:
  TempDir() {
    av_log_set_level(AV_LOG_ERROR);  // the encoders' statistics are noise in a test log
    std::string tmpl = (std::filesystem::temp_directory_path() / "foryou_media_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs `ffmpeg -v error -y ARGS`; fails the test when ffmpeg does.
inline void Ffmpeg(const std::string& args) {
  std::string cmd = "ffmpeg -nostdin -v error -y " + args;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// A clip of `seconds` of testsrc (w x h at `fps`) with a 440 Hz sine unless `audio` is false.
inline std::string MakeClip(const TempDir& dir, const std::string& name, double seconds,
                            int w = 160, int h = 120, bool audio = true, int fps = 15,
                            const std::string& extra = "-movflags +faststart") {
  std::string out = dir.File(name);
  std::string args = "-f lavfi -i testsrc=size=" + std::to_string(w) + "x" + std::to_string(h) +
                     ":rate=" + std::to_string(fps) + ":duration=" + std::to_string(seconds);
  if (audio) args += " -f lavfi -i sine=frequency=440:duration=" + std::to_string(seconds);
  args += " -c:v libx264 -preset ultrafast -pix_fmt yuv420p";
  if (audio) args += " -c:a aac -b:a 32k";
  Ffmpeg(args + " " + extra + " " + out);
  return out;
}

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace foryou::media
