// The KuaiRand-Pure readers over a file: the first input byte picks the reader (the impression
// log, the video table or the user table), the rest is the file. Bad rows are counted, never
// fatal; every row the log reader returns must have its required fields.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "kuairand/readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::kuairand;
  if (size == 0) return 0;
  const std::string path = (foryou::fuzz::FreshDir("kuairand") / "input.csv").string();
  foryou::fuzz::WriteFile(path, foryou::fuzz::AsView(data + 1, size - 1));
  switch (data[0] % 3) {
    case 0: {
      absl::StatusOr<std::unique_ptr<KuaiRandLogReader>> reader = KuaiRandLogReader::Open(path);
      if (!reader.ok()) return 0;
      KuaiRandImpression row;
      uint64_t rows = 0;
      while (true) {
        absl::StatusOr<bool> more = (*reader)->Next(&row);
        if (!more.ok() || !*more) break;
        ++rows;
      }
      FORYOU_FUZZ_CHECK((*reader)->rows() == rows);
      break;
    }
    case 1: {
      absl::flat_hash_map<uint64_t, KuaiRandVideo> videos;
      (void)LoadKuaiRandVideos(path, &videos);
      break;
    }
    default: {
      absl::flat_hash_map<uint64_t, KuaiRandUser> users;
      (void)LoadKuaiRandUsers(path, &users);
      break;
    }
  }
  return 0;
}
