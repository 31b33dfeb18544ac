// `foryou media match A B [--config config/dedup.json]` hashes both videos' sampled frames,
// indexes A and looks B up, as the upload path does against the whole catalog, and prints
//   match=0|1 distance=D matched_share=S frames_a=N frames_b=M
// D is the mean Hamming distance of B's matched frames to A's (-1 when no frame matched) and S
// the share of B's frames that matched (mirrored frames included), by the index's two rules:
// within max_frame_distance anywhere, or aligned_frame_distance along a run of frames. Exit 0 either way; 2 when a
// file cannot be read or decoded or the config is bad.
#include "apps/foryou/media_match_command.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "moderation/duplicate_index.h"
#include "moderation/frame_hash.h"

namespace foryou::app {

void AddMediaMatchCommand(CLI::App* media, int* exit_code) {
  CLI::App* match = media->add_subcommand(
      "match", "Whether video B duplicates video A (perceptual frame hashes)");
  static std::string a, b, config;
  match->add_option("A", a, "The original video file")->required();
  match->add_option("B", b, "The video file to check against A")->required();
  match->add_option("--config", config, "Dedup thresholds (JSON, e.g. config/dedup.json)");
  match->callback([exit_code] {
    moderation::DuplicateIndexOptions options;
    if (!config.empty()) {
      std::ifstream in(config);
      std::stringstream text;
      text << in.rdbuf();
      absl::StatusOr<moderation::DuplicateIndexOptions> parsed =
          in ? moderation::ParseDuplicateIndexOptions(text.str())
             : absl::NotFoundError("cannot read " + config);
      if (!parsed.ok()) {
        std::cerr << "foryou media match: " << parsed.status() << "\n";
        *exit_code = 2;
        return;
      }
      options = *parsed;
    }
    absl::StatusOr<std::vector<uint64_t>> ha = moderation::HashVideoFrames(a, {});
    absl::StatusOr<std::vector<uint64_t>> hb =
        ha.ok() ? moderation::HashVideoFrames(b, {}) : ha;
    if (!hb.ok()) {
      std::cerr << "foryou media match: " << hb.status() << "\n";
      *exit_code = 2;
      return;
    }
    // The share is reported whatever the threshold: look up with the smallest one, then decide.
    moderation::DuplicateIndexOptions any = options;
    any.min_matched_share = 1e-9;
    moderation::DuplicateIndex index(any);
    if (absl::Status s = index.Add("a", *ha); !s.ok()) {
      std::cerr << "foryou media match: " << s << "\n";
      *exit_code = 2;
      return;
    }
    const std::vector<moderation::DuplicateMatch> m = index.Lookup(*hb);
    const double share = m.empty() ? 0.0 : m[0].matched_share;
    const double distance = m.empty() ? -1.0 : m[0].distance;
    const bool is_match = !m.empty() && share + 1e-12 >= options.min_matched_share;
    std::cout << absl::StrFormat("match=%d distance=%.2f matched_share=%.2f frames_a=%d "
                                 "frames_b=%d\n",
                                 is_match ? 1 : 0, distance, share, ha->size(), hb->size());
  });
}

}  // namespace foryou::app
