// EmbeddingTable::LoadSnapshot over a snapshot file (docs/formats/snapshot.md) for a table of
// two slots; a refused file leaves the table as it was (empty).
#include <cstdint>
#include <string>

#include "embedding/embedding_table.h"
#include "fuzz/fuzz_util.h"

namespace {
foryou::embedding::TableConfig Config() {
  foryou::embedding::TableConfig c;
  foryou::embedding::SlotConfig a;
  a.slot = 1;
  a.dim = 8;
  foryou::embedding::SlotConfig b;
  b.slot = 300;
  b.dim = 4;
  b.optimizer = foryou::embedding::OptimizerKind::kFtrl;
  c.slots = {a, b};
  c.shards_per_slot = 2;
  return c;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::embedding;
  const std::string path = (foryou::fuzz::FreshDir("snapshot") / "table.snap").string();
  foryou::fuzz::WriteFile(path, foryou::fuzz::AsView(data, size));
  absl::StatusOr<std::unique_ptr<EmbeddingTable>> table = EmbeddingTable::Create(Config());
  FORYOU_FUZZ_CHECK(table.ok());
  absl::StatusOr<uint64_t> version = (*table)->LoadSnapshot(path);
  if (!version.ok()) FORYOU_FUZZ_CHECK((*table)->Stats().rows == 0);
  return 0;
}
