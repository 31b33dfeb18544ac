// The persistent job queue (job_queue.h): JSON records in RocksDB, a key per queued job ordered by
// lane and sequence number, and a video -> newest job key (docs/formats/uploads.md).
#include "uploads/job_queue.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/absl_view.h"
#include "common/file_util.h"
#include "common/rocksdb_options.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "uploads/ids.h"

namespace foryou::uploads {
namespace {

using json = nlohmann::json;

constexpr char kJobPrefix[] = "job/";
constexpr char kQueuePrefix[] = "queue/";
constexpr char kVideoPrefix[] = "video/";

using common::A;

absl::Status QueueError(const rocksdb::Status& s, std::string_view what) {
  const std::string msg = absl::StrCat("jobs: ", A(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  return absl::UnavailableError(msg);
}

// "queue/<lane>/<20-digit seq>": a lane's queued jobs in order.
std::string LanePrefix(Lane lane) {
  return absl::StrCat(kQueuePrefix, static_cast<int>(lane), "/");
}
std::string QueueKey(Lane lane, uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu", static_cast<unsigned long long>(seq));
  return LanePrefix(lane) + buf;
}

std::string Encode(const Job& j) {
  const JobSpec& s = j.spec;
  return json{{"id", j.id},
              {"kind", s.kind},
              {"video", s.video},
              {"owner", s.owner},
              {"input", s.input},
              {"effect", s.effect},
              {"sound_input", s.sound_input},
              {"duet_input", s.duet_input},
              {"stitch_input", s.stitch_input},
              {"lane", LaneName(s.lane)},
              {"state", JobStateName(j.state)},
              {"attempts", j.attempts},
              {"error", j.error},
              {"seq", j.seq},
              {"created_ms", j.created_ms},
              {"started_ms", j.started_ms},
              {"finished_ms", j.finished_ms}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

bool Decode(std::string_view bytes, Job* out) {
  json j = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  try {
    Job x;
    x.id = j.at("id").get<std::string>();
    x.spec.kind = j.at("kind").get<std::string>();
    x.spec.video = j.at("video").get<std::string>();
    x.spec.owner = j.at("owner").get<std::string>();
    x.spec.input = j.at("input").get<std::string>();
    x.spec.effect = j.at("effect").get<std::string>();
    x.spec.sound_input = j.at("sound_input").get<std::string>();
    x.spec.duet_input = j.at("duet_input").get<std::string>();
    x.spec.stitch_input = j.at("stitch_input").get<std::string>();
    const std::string lane = j.at("lane").get<std::string>();
    if (lane != "short" && lane != "long") return false;
    x.spec.lane = lane == "short" ? Lane::kShort : Lane::kLong;
    const std::string state = j.at("state").get<std::string>();
    bool known = false;
    for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed}) {
      if (state == JobStateName(s)) x.state = s, known = true;
    }
    if (!known) return false;
    x.attempts = j.at("attempts").get<int>();
    x.error = j.at("error").get<std::string>();
    x.seq = j.at("seq").get<uint64_t>();
    x.created_ms = j.at("created_ms").get<int64_t>();
    x.started_ms = j.at("started_ms").get<int64_t>();
    x.finished_ms = j.at("finished_ms").get<int64_t>();
    *out = std::move(x);
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

}  // namespace

std::string_view JobStateName(JobState s) {
  switch (s) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kDone: return "done";
    case JobState::kFailed: return "failed";
  }
  return "?";
}

std::string_view LaneName(Lane l) { return l == Lane::kShort ? "short" : "long"; }

absl::StatusOr<std::unique_ptr<JobQueue>> JobQueue::Open(const std::string& dir, int64_t now_ms) {
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dir));
  rocksdb::Options options = common::StoreOptions();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return QueueError(s, "open");
  std::unique_ptr<JobQueue> q(new JobQueue(std::unique_ptr<rocksdb::DB>(raw)));
  FORYOU_RETURN_IF_ERROR(q->Recover(now_ms));
  return q;
}

JobQueue::JobQueue(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
JobQueue::~JobQueue() = default;

absl::Status JobQueue::Recover(int64_t now_ms) {
  std::vector<Job> running;
  uint64_t max_seq = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kJobPrefix); it->Valid() && it->key().starts_with(kJobPrefix); it->Next()) {
    Job job;
    if (!Decode(it->value().ToStringView(), &job)) {
      return absl::DataLossError(
          absl::StrCat("jobs: record '", A(it->key().ToStringView()), "' does not decode"));
    }
    max_seq = std::max(max_seq, job.seq);
    if (job.state == JobState::kRunning) running.push_back(std::move(job));
  }
  if (!it->status().ok()) return QueueError(it->status(), "scan");
  common::MutexLock lock(&mu_);
  next_seq_ = max_seq + 1;
  // A job found running was started by a process that died before it finished (the server, or
  // the worker taking the server with it).
  for (Job& job : running) {
    if (job.attempts >= kMaxAttempts) {
      job.state = JobState::kFailed;
      job.error = absl::StrCat("worker died ", job.attempts, " times");
      job.finished_ms = now_ms;
      ++failed_at_open_;
    } else {
      job.state = JobState::kQueued;
      ++requeued_;
    }
    FORYOU_RETURN_IF_ERROR(Store(job, JobState::kRunning));
  }
  return absl::OkStatus();
}

absl::Status JobQueue::Store(const Job& job, std::optional<JobState> old_state) {
  rocksdb::WriteBatch batch;
  if (old_state == JobState::kQueued) batch.Delete(QueueKey(job.spec.lane, job.seq));
  if (job.state == JobState::kQueued) batch.Put(QueueKey(job.spec.lane, job.seq), job.id);
  if (!old_state.has_value()) batch.Put(absl::StrCat(kVideoPrefix, job.spec.video), job.id);
  batch.Put(absl::StrCat(kJobPrefix, job.id), Encode(job));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Write(wo, &batch);
  return s.ok() ? absl::OkStatus() : QueueError(s, "write");
}

absl::StatusOr<Job> JobQueue::Read(std::string_view id) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), absl::StrCat(kJobPrefix, A(id)), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("job '", A(id), "' not found"));
  if (!s.ok()) return QueueError(s, "read");
  Job job;
  if (!Decode(value, &job)) {
    return absl::DataLossError(absl::StrCat("jobs: record of '", A(id), "' does not decode"));
  }
  return job;
}

absl::StatusOr<Job> JobQueue::Enqueue(const JobSpec& spec, int64_t now_ms) {
  common::MutexLock lock(&mu_);
  Job job{.id = NewId("job-"), .spec = spec, .seq = next_seq_, .created_ms = now_ms};
  FORYOU_RETURN_IF_ERROR(Store(job, std::nullopt));
  ++next_seq_;
  return job;
}

absl::StatusOr<std::optional<Job>> JobQueue::Take(Lane lane, int64_t now_ms) {
  common::MutexLock lock(&mu_);
  const std::string prefix = LanePrefix(lane);
  std::string id;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    it->Seek(prefix);
    if (!it->status().ok()) return QueueError(it->status(), "scan");
    if (!it->Valid() || !it->key().starts_with(prefix)) return std::optional<Job>();
    id = it->value().ToString();
  }
  FORYOU_ASSIGN_OR_RETURN(Job job, Read(id));
  job.state = JobState::kRunning;
  ++job.attempts;
  job.started_ms = now_ms;
  FORYOU_RETURN_IF_ERROR(Store(job, JobState::kQueued));
  return std::optional<Job>(std::move(job));
}

absl::Status JobQueue::Finish(std::string_view id, const absl::Status& outcome, int64_t now_ms) {
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Job job, Read(id));
  if (job.state != JobState::kRunning) {
    return absl::FailedPreconditionError(
        absl::StrCat("job '", A(id), "' is ", A(JobStateName(job.state)), ", not running"));
  }
  job.state = outcome.ok() ? JobState::kDone : JobState::kFailed;
  job.error = outcome.ok() ? "" : std::string(outcome.message());
  job.finished_ms = now_ms;
  return Store(job, JobState::kRunning);
}

absl::Status JobQueue::Release(std::string_view id) {
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Job job, Read(id));
  if (job.state != JobState::kRunning) {
    return absl::FailedPreconditionError(
        absl::StrCat("job '", A(id), "' is ", A(JobStateName(job.state)), ", not running"));
  }
  job.state = JobState::kQueued;
  job.attempts = std::max(0, job.attempts - 1);
  return Store(job, JobState::kRunning);
}

absl::StatusOr<Job> JobQueue::Get(std::string_view id) const { return Read(id); }

absl::StatusOr<Job> JobQueue::JobOfVideo(std::string_view video) const {
  std::string id;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), absl::StrCat(kVideoPrefix, A(video)), &id);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("no job for video '", A(video), "'"));
  if (!s.ok()) return QueueError(s, "read");
  return Read(id);
}

absl::StatusOr<std::vector<Job>> JobQueue::List(JobState state) const {
  std::vector<Job> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kJobPrefix); it->Valid() && it->key().starts_with(kJobPrefix); it->Next()) {
    Job job;
    if (!Decode(it->value().ToStringView(), &job)) {
      return absl::DataLossError(
          absl::StrCat("jobs: record '", A(it->key().ToStringView()), "' does not decode"));
    }
    if (job.state == state) out.push_back(std::move(job));
  }
  if (!it->status().ok()) return QueueError(it->status(), "scan");
  std::sort(out.begin(), out.end(), [](const Job& a, const Job& b) { return a.seq < b.seq; });
  return out;
}

}  // namespace foryou::uploads
