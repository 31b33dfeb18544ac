// Parameter messages (docs/formats/params.md): encoding of a sync into parts, and decoding.
#include "realtime/param_message.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/binary_io.h"
#include "xxhash.h"

namespace foryou::realtime {
namespace {

constexpr char kParamMagic[4] = {'F', 'Y', 'P', 'M'};
constexpr uint32_t kParamVersion = 1;
constexpr uint32_t kParamLastPart = 1;
// Fixed bytes of a part: magic, version, header, part, flags, slot count, dense length, checksum.
constexpr size_t kParamFixedBytes = 4 + 4 + 3 * 8 + 4 + 4 + 4 + 8 + 8;

// Reads fixed-size values and byte runs off the front of a message; false past its end.
class ParamReader {
 public:
  explicit ParamReader(std::string_view in) : in_(in) {}
  bool Take(void* dst, size_t n) {
    if (n > in_.size()) return false;
    if (n > 0) std::memcpy(dst, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  template <typename T>
  bool Get(T* v) {
    return Take(v, sizeof(T));
  }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
};

// One part under construction.
struct ParamPartBuilder {
  std::vector<embedding::SlotDelta> slots;
  std::string_view dense;
  size_t bytes = kParamFixedBytes;
};

std::string FinishParamPart(const ParamPartBuilder& p, const ParamSyncHeader& h, uint32_t part,
                            bool last) {
  std::string out(kParamMagic, sizeof(kParamMagic));
  out.reserve(p.bytes);
  common::BinaryWriter w(&out);
  w.Put<uint32_t>(kParamVersion);
  w.Put<uint64_t>(h.events);
  w.Put<uint64_t>(h.ledger_events);
  w.Put<uint64_t>(h.ledger_checksum);
  w.Put<uint32_t>(part);
  w.Put<uint32_t>(last ? kParamLastPart : 0);
  w.Put<uint32_t>(static_cast<uint32_t>(p.slots.size()));
  for (const embedding::SlotDelta& s : p.slots) {
    w.Put<uint32_t>(s.slot);
    w.Put<uint32_t>(s.dim);
    w.Put<uint32_t>(static_cast<uint32_t>(s.keys.size()));
    out.append(reinterpret_cast<const char*>(s.keys.data()), s.keys.size() * sizeof(uint64_t));
    out.append(reinterpret_cast<const char*>(s.last_seen_s.data()),
               s.last_seen_s.size() * sizeof(uint32_t));
    out.append(reinterpret_cast<const char*>(s.counts.data()), s.counts.size() * sizeof(uint32_t));
    out.append(reinterpret_cast<const char*>(s.values.data()), s.values.size() * sizeof(float));
    w.Put<uint32_t>(static_cast<uint32_t>(s.deleted.size()));
    out.append(reinterpret_cast<const char*>(s.deleted.data()),
               s.deleted.size() * sizeof(uint64_t));
  }
  w.Put<uint64_t>(p.dense.size());
  out.append(p.dense.data(), p.dense.size());
  w.Put<uint64_t>(XXH3_64bits(out.data(), out.size()));
  return out;
}

// The slot entry of `p` for `src`'s slot (the last one, created when it is another slot).
embedding::SlotDelta& ParamSlotOf(ParamPartBuilder& p, const embedding::SlotDelta& src) {
  if (p.slots.empty() || p.slots.back().slot != src.slot) {
    embedding::SlotDelta s;
    s.slot = src.slot;
    s.dim = src.dim;
    s.optimizer = embedding::OptimizerKind::kNone;
    p.slots.push_back(std::move(s));
    p.bytes += 4 * 4;
  }
  return p.slots.back();
}

}  // namespace

std::vector<std::string> EncodeParamSync(const embedding::TableDelta& delta,
                                         std::string_view dense, const ParamSyncHeader& header,
                                         size_t max_part_bytes) {
  std::vector<std::string> parts;
  ParamPartBuilder p;
  auto flush = [&] {
    parts.push_back(FinishParamPart(p, header, static_cast<uint32_t>(parts.size()), false));
    p = ParamPartBuilder{};
  };
  auto room = [&](size_t bytes) {
    // A part takes at least one item, whatever its size.
    // 16: the slot entry a row may open.
    if (p.bytes > kParamFixedBytes && p.bytes + bytes + 16 > max_part_bytes) flush();
  };
  for (const embedding::SlotDelta& s : delta.slots) {
    const size_t stride = s.row_floats();
    const size_t row_bytes = 8 + 4 + 4 + size_t{s.dim} * sizeof(float);
    for (size_t i = 0; i < s.keys.size(); ++i) {
      room(row_bytes);
      embedding::SlotDelta& d = ParamSlotOf(p, s);
      d.keys.push_back(s.keys[i]);
      d.last_seen_s.push_back(s.last_seen_s[i]);
      d.counts.push_back(s.counts[i]);
      const float* row = s.values.data() + i * stride;
      d.values.insert(d.values.end(), row, row + s.dim);  // the embedding, not the state
      p.bytes += row_bytes;
    }
    for (embedding::FeatureId id : s.deleted) {
      room(8);
      ParamSlotOf(p, s).deleted.push_back(id);
      p.bytes += 8;
    }
  }
  if (!dense.empty()) {
    room(dense.size());
    p.dense = dense;
    p.bytes += dense.size();
  }
  std::string last = FinishParamPart(p, header, static_cast<uint32_t>(parts.size()), true);
  parts.push_back(std::move(last));
  return parts;
}

absl::StatusOr<ParamMessage> DecodeParamMessage(std::string_view bytes) {
  auto bad = [](absl::string_view why) {
    return absl::DataLossError(absl::StrCat("parameter message: ", why));
  };
  if (bytes.size() < kParamFixedBytes) return bad("truncated");
  if (std::memcmp(bytes.data(), kParamMagic, sizeof(kParamMagic)) != 0) {
    return bad("not a parameter message");
  }
  uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  if (sum != XXH3_64bits(bytes.data(), bytes.size() - 8)) return bad("checksum mismatch");
  ParamReader r(bytes.substr(sizeof(kParamMagic), bytes.size() - 8 - sizeof(kParamMagic)));
  ParamMessage m;
  uint32_t version = 0, flags = 0, slots = 0;
  if (!r.Get(&version) || version != kParamVersion) return bad("unknown version");
  if (!r.Get(&m.header.events) || !r.Get(&m.header.ledger_events) ||
      !r.Get(&m.header.ledger_checksum) || !r.Get(&m.part) || !r.Get(&flags) || !r.Get(&slots)) {
    return bad("truncated header");
  }
  m.last = (flags & kParamLastPart) != 0;
  for (uint32_t i = 0; i < slots; ++i) {
    embedding::SlotDelta s;
    uint32_t n = 0, deleted = 0;
    if (!r.Get(&s.slot) || !r.Get(&s.dim) || !r.Get(&n)) return bad("truncated slot");
    s.optimizer = embedding::OptimizerKind::kNone;
    // Every count is checked against the bytes left before anything is allocated.
    if (s.dim == 0 || s.dim > 4096 || n > r.remaining() / (16 + size_t{s.dim} * 4)) {
      return bad("slot sizes past the message");
    }
    s.keys.resize(n);
    s.last_seen_s.resize(n);
    s.counts.resize(n);
    s.values.resize(size_t{n} * s.dim);
    if (!r.Take(s.keys.data(), n * sizeof(uint64_t)) ||
        !r.Take(s.last_seen_s.data(), n * sizeof(uint32_t)) ||
        !r.Take(s.counts.data(), n * sizeof(uint32_t)) ||
        !r.Take(s.values.data(), s.values.size() * sizeof(float)) || !r.Get(&deleted) ||
        deleted > r.remaining() / 8) {
      return bad("truncated slot");
    }
    s.deleted.resize(deleted);
    if (!r.Take(s.deleted.data(), deleted * sizeof(uint64_t))) return bad("truncated slot");
    m.delta.slots.push_back(std::move(s));
  }
  uint64_t dense = 0;
  if (!r.Get(&dense) || dense != r.remaining()) return bad("malformed dense weights");
  m.dense.resize(dense);
  (void)r.Take(m.dense.data(), dense);
  return m;
}

}  // namespace foryou::realtime
