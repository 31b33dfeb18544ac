// The model's files and blobs: the first input byte picks the parser, the rest is its input:
//   0  RankingModel::LoadDense  (model.dense after its version word: FM and MLP weights)
//   1  FeatureExtractor::LoadState  (the behaviour state in the real-time loop's snapshots)
//   2  ParseModelConfig  (config/model.json)
// A refused blob leaves the model unchanged (its dense weights serialize as before).
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz/fuzz_util.h"
#include "model/features.h"
#include "model/model_config.h"
#include "model/ranking_model.h"

namespace {

// The small model of ranking_model_test_util.h: 5 fields, dim 4, one hidden layer of 8.
constexpr char kConfig[] = R"json({
  "seed": 3,
  "dim": 4,
  "hidden": [8],
  "features": ["video_id", "author_id", "user_id", "hour", "seq.like.video",
               "dense.video_rates"]
})json";

const foryou::model::ModelConfig& Config() {
  static const foryou::model::ModelConfig config = *foryou::model::ParseModelConfig(kConfig);
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::model;
  if (size == 0) return 0;
  const std::string_view blob = foryou::fuzz::AsView(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      static std::unique_ptr<RankingModel> model = *RankingModel::Create(Config(), false);
      const std::string before = model->SaveDense();
      if (model->LoadDense(blob).ok()) {
        FORYOU_FUZZ_CHECK(model->LoadDense(before).ok());  // back to the same weights each run
      } else {
        FORYOU_FUZZ_CHECK(model->SaveDense() == before);
      }
      break;
    }
    case 1: {
      FeatureExtractor features(Config(), std::make_shared<Catalog>());
      if (features.LoadState(blob).ok()) {
        std::string saved;
        features.SaveState(&saved);
        FeatureExtractor again(Config(), std::make_shared<Catalog>());
        FORYOU_FUZZ_CHECK(again.LoadState(saved).ok());
      } else {
        FORYOU_FUZZ_CHECK(features.users_tracked() == 0);
      }
      break;
    }
    default:
      (void)ParseModelConfig(blob);
      break;
  }
  return 0;
}
