// Writes the binary seeds of the fuzz corpus (fuzz/corpus/TARGET/) that cannot be typed by hand:
// event records, a log segment, an embedding snapshot, model blobs and catalog records, each
// valid, plus a truncated copy of each as an invalid one. The JSON and CSV seeds are text files
// kept in the repository as they are.
//
// Usage: make_fuzz_seeds CORPUS_DIR   (e.g. build/fuzz/fuzz/make_fuzz_seeds fuzz/corpus)
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/record_codec.h"
#include "catalog/types.h"
#include "common/file_util.h"
#include "embedding/embedding_table.h"
#include "embedding/feature_id.h"
#include "fuzz/fuzz_util.h"
#include "model/features.h"
#include "model/model_config.h"
#include "model/ranking_model.h"
#include "stream/event.h"
#include "stream/user_deletion.h"
#include "stream/event_log.h"

namespace fs = std::filesystem;
using foryou::fuzz::WriteFile;

namespace {

constexpr int64_t kT0 = 1700000000000;

// NAME.bin (valid) and NAME-truncated.bin (the first half) in dir.
void Seed(const fs::path& dir, const std::string& name, std::string_view bytes, char prefix = 0) {
  fs::create_directories(dir);
  std::string with = prefix ? std::string(1, prefix) : std::string();
  WriteFile(dir / (name + ".bin"), with + std::string(bytes));
  WriteFile(dir / (name + "-truncated.bin"), with + std::string(bytes.substr(0, bytes.size() / 2)));
}

std::vector<foryou::stream::Event> Events() {
  using foryou::stream::Event;
  using foryou::stream::EventType;
  Event impression{.type = EventType::kImpression, .user = "u1", .time_ms = kT0,
                   .request_id = "r1", .video = "v1", .position = 2, .surface = "foryou"};
  Event play{.type = EventType::kPlay, .user = "u1", .time_ms = kT0 + 5, .video = "v1",
             .watch_ms = 12000, .completed = true, .replays = 1};
  Event comment{.type = EventType::kComment, .user = "u2", .time_ms = kT0 + 9, .video = "v2",
                .text = "so good \xc3\xa9"};
  Event follow{.type = EventType::kFollow, .user = "u2", .time_ms = kT0 + 11, .creator = "c7"};
  return {impression, play, comment, follow};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const fs::path corpus = argv[1];
  const fs::path work_dir = foryou::fuzz::FreshDir("make_seeds");

  // event_binary: one record per event.
  std::vector<std::string> records;
  int i = 0;
  for (const foryou::stream::Event& e : Events()) {
    std::string record;
    foryou::stream::EncodeEvent(e, &record);
    Seed(corpus / "event_binary", "event" + std::to_string(i++), record);
    records.push_back(record);
  }
  {
    std::string marker;
    foryou::stream::EncodeUserDeletion({.user = "u42", .epochs = 2, .time_ms = kT0}, &marker);
    Seed(corpus / "event_binary", "deletion0", marker);
  }

  // event_log: a segment of those records.
  {
    foryou::stream::LogOptions options;
    options.dir = (work_dir / "log").string();
    options.fsync = foryou::stream::FsyncPolicy::kNever;
    options.clock = [] { return kT0; };
    auto log = *foryou::stream::FileEventLog::Open(options);
    std::vector<std::string_view> views(records.begin(), records.end());
    (void)*log->Append(views);
    (void)*log->Append({views.data(), 1});
    log.reset();
    std::string segment = *foryou::common::ReadFile(options.dir + "/00000000000000000000.log");
    Seed(corpus / "event_log", "segment", segment);
  }

  // snapshot: a two-slot table (the fuzz target's config) with a few rows.
  {
    using namespace foryou::embedding;
    TableConfig c;
    SlotConfig a;
    a.slot = 1;
    a.dim = 8;
    SlotConfig b;
    b.slot = 300;
    b.dim = 4;
    b.optimizer = OptimizerKind::kFtrl;
    c.slots = {a, b};
    c.shards_per_slot = 2;
    auto table = *EmbeddingTable::Create(c);
    std::vector<FeatureId> keys = {MakeFeatureId(1, 5), MakeFeatureId(1, 9), MakeFeatureId(300, 5)};
    std::vector<float> grads(8 + 8 + 4, 0.25f);
    for (int step = 0; step < 3; ++step) (void)table->ApplyGradients(keys, grads, kT0);
    const std::string path = (work_dir / "table.snap").string();
    (void)table->WriteSnapshot(path, 42);
    Seed(corpus / "snapshot", "table", *foryou::common::ReadFile(path));
  }

  // model: the dense blob (selector 0) and a behaviour state (selector 1) of the target's model.
  {
    using namespace foryou::model;
    const ModelConfig config = *ParseModelConfig(R"json({
      "seed": 3, "dim": 4, "hidden": [8],
      "features": ["video_id", "author_id", "user_id", "hour", "seq.like.video",
                   "dense.video_rates"]})json");
    auto model = *RankingModel::Create(config, false);
    Seed(corpus / "model", "dense", model->SaveDense(), '\0');
    FeatureExtractor features(config, std::make_shared<Catalog>());
    std::vector<Impression> batch(2);
    batch[0].user_id = 1;
    batch[0].video_id = 101;
    batch[0].time_ms = kT0;
    batch[1].user_id = 2;
    batch[1].video_id = 102;
    batch[1].time_ms = kT0 + 1000;
    for (Impression& imp : batch) imp.labels.fill(1.0f);
    features.Observe(batch);
    std::string state;
    features.SaveState(&state);
    Seed(corpus / "model", "state", state, '\1');
  }

  // record_codec: one record of each kind, under the id "x".
  {
    using namespace foryou::catalog;
    User u;
    u.id = "x";
    u.language = "en";
    u.interests = {"cats", "dogs"};
    u.following = {"c1"};
    u.created_ms = kT0;
    Seed(corpus / "record_codec", "user", codec::Encode(u), '\0');
    Video v;
    v.id = "x";
    v.creator = "c1";
    v.duration_ms = 15000;
    v.caption = "hello #cats";
    v.hashtags = {"cats"};
    v.upload_ms = kT0;
    Seed(corpus / "record_codec", "video", codec::Encode(v), '\1');
    Creator c;
    c.id = "x";
    c.name = "Cat Person";
    Seed(corpus / "record_codec", "creator", codec::Encode(c), '\2');
    Sound s;
    s.id = "x";
    s.title = "tune";
    Seed(corpus / "record_codec", "sound", codec::Encode(s), '\3');
    Hashtag h;
    h.name = "x";
    h.videos = 3;
    Seed(corpus / "record_codec", "hashtag", codec::Encode(h), '\4');
    Seed(corpus / "record_codec", "format", codec::EncodeFormat(), '\5');
  }
  fs::remove_all(work_dir);
  return 0;
}
