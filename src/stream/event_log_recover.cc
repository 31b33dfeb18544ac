// FileEventLog::Open's recovery of the segment files: the scan of every segment, the repair of
// the last one (torn tail, damage in the middle) and the setting aside of damage in sealed
// ones. Bytes: docs/formats/log.md; failure modes: docs/design/stream.md.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "stream/event_log.h"
#include "stream/event_log_internal.h"

namespace foryou::stream {

using namespace log_internal;  // NOLINT: the log's own internals

// HOW RECOVERY WORKS
// Segments are scanned in offset order (docs/formats/log.md, "Recovery"), resynchronising on
// the next valid record after a bad one. A crash can only tear the unsynced end of the last
// segment: sealed segments were fdatasync'ed before their successor was created. So in the last
// segment a bad record with nothing valid after it is a torn tail (truncate: never
// acknowledged), and damage with valid records after it is cut out (a copy kept) with the
// records behind moving down. In a sealed segment the offsets are fixed by the next segment's
// base, so nothing moves: the records after the last damage keep their offsets (counted back
// from that base), the offsets in between are lost, Read skips them, and the loss is reported.
absl::Status FileEventLog::Recover() {
  common::WriterLock meta(&meta_mu_);  // uncontended: Open has not returned the log yet
  const std::string& dir = options_.dir;
  std::vector<uint64_t> bases;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    uint64_t base;
    if (entry.is_regular_file() && ParseSegmentFileName(entry.path().filename().string(), &base)) {
      bases.push_back(base);
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  std::sort(bases.begin(), bases.end());

  std::vector<std::string> notes;
  if (bases.empty()) {
    FORYOU_ASSIGN_OR_RETURN(active_, CreateSegment(0));
    segments_[0] = active_;
    return absl::OkStatus();
  }
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    auto seg = std::make_shared<Segment>();
    seg->base = bases[i];
    seg->path = dir + "/" + SegmentFileName(bases[i]);
    seg->fd = ::open(seg->path.c_str(), (last ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (seg->fd < 0) return ErrnoStatus("cannot open", seg->path);
    struct stat st;
    if (::fstat(seg->fd, &st) != 0) return ErrnoStatus("cannot stat", seg->path);
    uint64_t size = static_cast<uint64_t>(st.st_size);
    FORYOU_ASSIGN_OR_RETURN(ScanResult scan,
                            ScanSegment(seg->fd, seg->path, size, seg->base, /*resync=*/true));
    if (last && !scan.damaged.empty()) {
      // Damage with valid records after it is not a torn tail: those records may have been
      // acknowledged. Keep a copy of the file, then rewrite it without the damaged bytes.
      FORYOU_RETURN_IF_ERROR(RewriteDamagedSegment(seg.get(), scan, &notes));
      if (::fstat(seg->fd, &st) != 0) return ErrnoStatus("cannot stat", seg->path);
      size = static_cast<uint64_t>(st.st_size);
      FORYOU_ASSIGN_OR_RETURN(scan, ScanSegment(seg->fd, seg->path, size, seg->base));
    }
    seg->max_time_ms = scan.max_time_ms;
    if (last) seg->index = std::move(scan.index);

    if (!last) {
      seg->bytes = size;
      FORYOU_RETURN_IF_ERROR(
          SetAsideSealedDamage(seg.get(), scan, bases[i + 1] - bases[i], &notes));
    } else {
      uint64_t keep = scan.end;
      if (!scan.header_ok) {
        keep = 0;
        notes.push_back(absl::StrCat("rewrote the header of the last segment ", seg->path, " (",
                                     scan.problem, "); dropped ", size, " bytes"));
      } else if (!scan.problem.empty()) {
        notes.push_back(absl::StrCat("truncated the last segment ", seg->path, " at byte ",
                                     scan.end, " after offset ",
                                     static_cast<int64_t>(seg->base + scan.count) - 1, " (",
                                     scan.problem, "); dropped ", size - scan.end, " bytes"));
      }
      if (!scan.header_ok || keep < size) {
        if (::ftruncate(seg->fd, static_cast<off_t>(keep)) != 0) {
          return ErrnoStatus("cannot truncate", seg->path);
        }
        recovery_.truncated_bytes = size - keep;
        if (!scan.header_ok) {
          const std::string header = EncodeSegmentHeader(seg->base);
          iovec v{const_cast<char*>(header.data()), header.size()};
          FORYOU_RETURN_IF_ERROR(PwriteAll(seg->fd, {v}, 0, seg->path));
          scan.count = 0;
          scan.end = kSegmentHeaderBytes;
        }
        if (::fdatasync(seg->fd) != 0) return ErrnoStatus("cannot sync", seg->path);
      }
      seg->count = seg->write_count = scan.count;
      seg->bytes = seg->write_bytes = scan.end;
      seg->last_index_pos = scan.last_index_pos;
      active_ = seg;
    }
    segments_[seg->base] = std::move(seg);
  }
  recovery_.detail = absl::StrJoin(notes, "; ");
  start_offset_ = segments_.begin()->first;
  next_offset_ = active_->base + active_->count;
  end_offset_ = next_offset_;
  return absl::OkStatus();
}

absl::Status FileEventLog::RewriteDamagedSegment(Segment* seg, const ScanResult& scan,
                                                 std::vector<std::string>* notes) {
  FORYOU_ASSIGN_OR_RETURN(const std::string contents, common::ReadFile(seg->path));
  const std::string name = SegmentFileName(seg->base);
  const std::string copy =
      absl::StrCat(options_.dir, "/", AV(kDamagedDir), "/", name, ".", NowMs());
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(absl::StrCat(options_.dir, "/", AV(kDamagedDir))));
  FORYOU_RETURN_IF_ERROR(common::WriteFileAtomically(copy, contents));
  std::string kept = contents.substr(0, kSegmentHeaderBytes);
  for (const ScanResult::Range& g : scan.good) {
    if (g.end > contents.size()) return absl::DataLossError(absl::StrCat(seg->path, " shrank"));
    kept.append(contents, g.begin, g.end - g.begin);
  }
  FORYOU_RETURN_IF_ERROR(common::WriteFileAtomically(seg->path, kept));
  const int fd = ::open(seg->path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", seg->path);
  ::close(seg->fd);
  seg->fd = fd;

  uint64_t bytes = 0;
  for (const ScanResult::Range& d : scan.damaged) bytes += d.end - d.begin;
  const uint64_t first = seg->base + scan.count_before_damage;
  recovery_.damaged_ranges += scan.damaged.size();
  recovery_.dropped_bytes += bytes;
  recovery_.first_damaged_offset = std::min(recovery_.first_damaged_offset, first);
  recovery_.damaged_copy = copy;
  notes->push_back(absl::StrCat("skipped ", scan.damaged.size(), " damaged byte range(s) (", bytes,
                                " bytes, first at byte ", scan.damaged.front().begin, ": ",
                                scan.damaged.front().why, ") in the last segment ", seg->path,
                                "; the records after them now start at offset ", first,
                                "; a copy of the damaged file is kept at ", copy));
  return absl::OkStatus();
}

absl::StatusOr<std::string> FileEventLog::CopyDamagedSegment(const Segment& seg) {
  const std::string dir = absl::StrCat(options_.dir, "/", AV(kDamagedDir));
  const std::string prefix = SegmentFileName(seg.base) + ".";
  std::error_code ec;
  // A sealed segment is never rewritten, so its damage is found again at every open: one copy.
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().starts_with(prefix)) return entry.path().string();
  }
  FORYOU_ASSIGN_OR_RETURN(const std::string contents, common::ReadFile(seg.path));
  const std::string copy = absl::StrCat(dir, "/", prefix, NowMs());
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dir));
  FORYOU_RETURN_IF_ERROR(common::WriteFileAtomically(copy, contents));
  return copy;
}

absl::Status FileEventLog::SetAsideSealedDamage(Segment* seg, const ScanResult& scan,
                                                uint64_t expected,
                                                std::vector<std::string>* notes) {
  seg->count = expected;
  // Good records before the first damage keep their offsets from the base; those after the
  // last damage keep theirs counted back from the next segment's base, but only when the scan
  // reached the end of the file (a bad tail would hide how many records follow them).
  uint64_t before = scan.damaged.empty() ? scan.count : scan.count_before_damage;
  uint64_t after = 0;
  if (!scan.damaged.empty() && scan.problem.empty()) after = scan.count - scan.count_at_last_damage;
  if (after > expected) after = 0;
  before = std::min(before, expected - after);
  for (const IndexEntry& e : scan.index) {
    if (e.rel < before) seg->index.push_back(e);
  }
  if (after > 0) {
    seg->index.push_back({expected - after, scan.damaged.back().end});
    for (const IndexEntry& e : scan.index) {
      if (e.rel > scan.count_at_last_damage) {
        seg->index.push_back({e.rel - scan.count_at_last_damage + expected - after, e.pos});
      }
    }
  }
  seg->lost_begin = before;
  seg->lost_end = expected - after;
  if (seg->lost_begin == seg->lost_end) {
    if (scan.count > expected || !scan.problem.empty()) {
      notes->push_back(absl::StrCat("segment ", seg->path, " holds data past offset ",
                                    seg->base + expected - 1,
                                    " (ignored; the next segment starts there)"));
    }
    return absl::OkStatus();
  }
  uint64_t bytes = scan.problem.empty() ? 0 : seg->bytes - scan.end;
  for (const ScanResult::Range& d : scan.damaged) bytes += d.end - d.begin;
  FORYOU_ASSIGN_OR_RETURN(const std::string copy, CopyDamagedSegment(*seg));
  const uint64_t lost = seg->lost_end - seg->lost_begin;
  const std::string why = !scan.damaged.empty()  ? scan.damaged.front().why
                          : !scan.problem.empty() ? scan.problem
                                                  : std::string("the file ends early");
  recovery_.damaged_ranges += std::max<size_t>(1, scan.damaged.size());
  recovery_.dropped_bytes += bytes;
  recovery_.lost_records += lost;
  recovery_.damaged_copy = copy;
  notes->push_back(absl::StrCat("sealed segment ", seg->path, " is damaged (", bytes,
                                " bytes, first at byte ",
                                scan.damaged.empty() ? scan.end : scan.damaged.front().begin,
                                ": ", why, "); offsets ", seg->base + seg->lost_begin, "..",
                                seg->base + seg->lost_end - 1, " (", lost,
                                " records) are lost and skipped by Read; a copy is kept at ",
                                copy));
  return absl::OkStatus();
}

}  // namespace foryou::stream
