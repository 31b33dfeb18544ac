// Parameter messages: one trainer sync (the table's touched rows and evictions, and at a dense
// sync the dense weights) as records of a parameter stream, so that serving replicas in other
// processes apply what the trainer's own serving replica gets. Byte layout:
// docs/formats/params.md. Design: docs/design/kafka.md, "Roles".
//
// Example:
//   std::vector<std::string> parts = EncodeParamSync(delta, dense_blob, header, 900'000);
//   ... publish every part in order; a replica decodes each and applies it:
//   FORYOU_ASSIGN_OR_RETURN(ParamMessage m, DecodeParamMessage(record));
//   FORYOU_RETURN_IF_ERROR(serving_table.ApplyDelta(m.delta));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "embedding/delta.h"

namespace foryou::realtime {

// What every part of one sync carries: the trainer's state the sync brings serving to.
struct ParamSyncHeader {
  uint64_t events = 0;           // the trainer's serving_offset (event count) after the sync
  uint64_t ledger_events = 0;    // its ledger as of the sync (Ledger)
  uint64_t ledger_checksum = 0;
};

struct ParamMessage {
  ParamSyncHeader header;
  uint32_t part = 0;   // index of this part within its sync
  bool last = false;   // the sync's last part: the replica has the whole sync once applied
  // Upserted rows carry the embedding only (optimizer kNone): a replica has no optimizer state.
  embedding::TableDelta delta;
  std::string dense;   // RankingModel::SaveDense bytes, or empty (no dense weights in this part)
};

// Splits one sync into parts of about `max_part_bytes` each (at least one row or the dense blob
// per part, so a part may be larger when a dense blob alone is). Rows lose their optimizer
// state. An empty delta without dense weights still gives one part (it moves the replica's
// serving offset).
std::vector<std::string> EncodeParamSync(const embedding::TableDelta& delta,
                                         std::string_view dense, const ParamSyncHeader& header,
                                         size_t max_part_bytes);

// DataLoss for bytes that are not a whole, intact parameter message.
[[nodiscard]] absl::StatusOr<ParamMessage> DecodeParamMessage(std::string_view bytes);

}  // namespace foryou::realtime
