// RunFeedHits: the feed's hit rate on the KuaiRand log (see the header).
#include "kuairand/feed_hits.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "catalog/catalog_store.h"
#include "kuairand/catalog_import.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "kuairand/readers.h"
#include "feed/feed_service.h"
#include "server/loop_scorer.h"
#include "kuairand/log_replay.h"
#include "realtime/realtime_loop.h"
#include "kuairand/model_catalog.h"

namespace foryou::kuairand {

using feed::FeedItem;
using feed::FeedOptions;
using feed::FeedPage;
using feed::FeedService;
using feed::UserSession;
using feed::WatchNext;

std::string FeedHitsResult::Line() const {
  const double n = samples > 0 ? static_cast<double>(samples) : 1.0;
  return absl::StrFormat(
      "feed_hits samples=%d hit_at_%d=%.4f popular_hit_at_%d=%.4f ratio=%.2f "
      "candidate_recall=%.4f mean_candidates=%.0f secs=%.1f",
      samples, feed_size, hits / n, feed_size, popular_hits / n,
      popular_hits > 0 ? static_cast<double>(hits) / static_cast<double>(popular_hits) : 0.0,
      candidate_hits / n, mean_candidates, secs);
}

absl::StatusOr<FeedHitsResult> RunFeedHits(const kuairand::ReplayOptions& o, int samples,
                                           int feed_size, const FeedOptions& feed_options,
                                           const std::string& work_dir,
                                           std::ostream& progress,
                                           const std::string& parts_path) {
  if (samples < 1) return absl::InvalidArgumentError("feed-hits: must be >= 1");
  if (o.eval.empty()) return absl::InvalidArgumentError("eval: a log file is required");
  if (o.videos.empty()) return absl::InvalidArgumentError("videos: the video table is required");
  std::ofstream parts;
  if (!parts_path.empty()) {
    parts.open(parts_path);
    if (!parts) return absl::InvalidArgumentError(absl::StrCat("feed-hits-parts: cannot write ", parts_path));
    parts << "sample target long_views_6h long_views_24h impressions_1h sequence covis "
             "history_covis item_item score\n";
  }
  const auto start = std::chrono::steady_clock::now();
  FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<common::TempDir> work,
                          common::TempDir::Make(work_dir, "foryou-feed-hits"));

  // The catalog as `foryou serve` has it, and the model's view of it.
  FORYOU_ASSIGN_OR_RETURN(auto store, catalog::CatalogStore::Open(work->path() + "/catalog"));
  FORYOU_RETURN_IF_ERROR(kuairand::ImportKuaiRand(o.videos, o.users, 0, store.get()).status());
  FORYOU_ASSIGN_OR_RETURN(std::shared_ptr<model::Catalog> model_catalog, feed::BuildModelCatalog(*store));

  realtime::LoopOptions lo;
  lo.log.dir = work->path() + "/log";
  lo.log.fsync = stream::FsyncPolicy::kNever;  // an evaluation: nothing to lose
  lo.joiner.utc_offset_minutes = 480;          // KuaiRand is China time
  lo.evaluate_from_offset = UINT64_MAX;
  lo.live_window = 0;
  FORYOU_ASSIGN_OR_RETURN(auto loop, realtime::RealtimeLoop::Open(lo, o.config, model_catalog));
  server::LoopScorer scorer(loop.get(), o.config);
  FeedOptions fo = feed_options;
  fo.utc_offset_minutes = 480;
  fo.max_count = std::max(fo.max_count, feed_size);
  fo.watch_next.item_item_background = false;  // refits inline: the same result every run
  FeedService feed(fo, store.get(), model_catalog, &scorer);
  FORYOU_RETURN_IF_ERROR(feed.Load());
  if (!o.history.empty()) {
    // One read of the watch histories warm-starts the model's features and seeds the
    // watch-next model (co-visitation, recent lists, pre-training).
    uint64_t bad = 0;
    FORYOU_RETURN_IF_ERROR(kuairand::ReadKuaiRandHistory(
        o.history,
        [&](uint64_t user, int64_t time_ms, const std::vector<uint64_t>& watch,
            const std::vector<uint64_t>& likes, const std::vector<uint64_t>& long_watch) {
          loop->features()->AddHistory(user, watch, likes, long_watch, time_ms);
          auto keys = [](const std::vector<uint64_t>& ids) {
            std::vector<uint64_t> out;
            out.reserve(ids.size());
            for (uint64_t v : ids) out.push_back(common::VideoKey(absl::StrCat(v)));
            return out;
          };
          feed.AddHistory(absl::StrCat(user), keys(watch), keys(long_watch));
        },
        &bad));
  }
  if (!o.history.empty() && fo.watch_next.enabled) {
    const auto t0 = std::chrono::steady_clock::now();
    const double loss = feed.watch_next().Pretrain();
    if (o.progress) {
      progress << absl::StrFormat(
          "feed-hits: watch-next pre-trained on the histories: loss %.3f, %.1f s\n", loss,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  }

  // Which eval long-views to check: evenly spaced over the file.
  uint64_t long_views = 0;
  {
    FORYOU_ASSIGN_OR_RETURN(auto reader, kuairand::KuaiRandLogReader::Open(o.eval));
    kuairand::KuaiRandImpression r;
    while (true) {
      FORYOU_ASSIGN_OR_RETURN(bool more, reader->Next(&r));
      if (!more) break;
      long_views += r.long_view != 0;
    }
  }
  const double stride = std::max(1.0, static_cast<double>(long_views) / samples);

  FeedHitsResult result;
  result.feed_size = feed_size;
  std::vector<stream::Event> events;
  std::vector<kuairand::KuaiRandImpression> pending_checks;
  uint64_t row_number = 0, long_view_index = 0, candidates_total = 0;
  double next_pick = 0;
  auto flush = [&]() -> absl::Status {
    if (events.empty()) return absl::OkStatus();
    int64_t max_time = 0;
    for (const auto& e : events) max_time = std::max(max_time, e.time_ms);
    FORYOU_RETURN_IF_ERROR(loop->Ingest(events, max_time + 1).status());
    FORYOU_RETURN_IF_ERROR(loop->ProcessAvailable());
    feed.Observe(events, /*apply_settings=*/false);
    events.clear();
    return absl::OkStatus();
  };
  auto check = [&](const kuairand::KuaiRandImpression& r) -> absl::Status {
    const std::string user = absl::StrCat(r.user_id);
    const uint64_t target = common::VideoKey(absl::StrCat(r.video_id));
    // Scored on the tab the view happened on (the logged surface), as the model was trained.
    absl::StatusOr<FeedPage> page =
        feed.Feed(user, feed_size, r.time_ms, /*record=*/false, absl::StrCat(r.tab));
    if (absl::IsNotFound(page.status())) return absl::OkStatus();  // a user missing from the table
    FORYOU_RETURN_IF_ERROR(page.status());
    FORYOU_ASSIGN_OR_RETURN(std::vector<uint64_t> popular, feed.TrendingPage(user, feed_size, r.time_ms));
    if (parts.is_open()) {
      // Skipping what the feed's seen rule excludes.
      const UserSession session = feed.SessionOf(user);
      for (const WatchNext::Parts& p : feed.watch_next().TopParts(
               page->model_user, kPartsPerSample, r.time_ms,
               [&](uint64_t key) { return session.seen.contains(key); }, target)) {
        parts << absl::StrFormat("%d %d %.5g %.5g %.5g %.5g %.5g %.5g %.5g %.5g\n", result.samples,
                                 p.key == target, p.long_views_6h, p.long_views_24h,
                                 p.impressions_1h, p.sequence, p.covis, p.history_covis,
                                 p.item_item, p.score);
      }
    }
    ++result.samples;
    candidates_total += page->candidates;
    for (const FeedItem& item : page->items) result.hits += item.candidate.video_key == target;
    result.popular_hits += std::count(popular.begin(), popular.end(), target) > 0;
    result.candidate_hits +=
        std::count(page->retrieved.begin(), page->retrieved.end(), target) > 0;
    return absl::OkStatus();
  };

  std::vector<std::string> files = o.warmup;
  files.push_back(o.eval);
  for (size_t f = 0; f < files.size(); ++f) {
    const bool eval = f + 1 == files.size();
    FORYOU_ASSIGN_OR_RETURN(auto reader, kuairand::KuaiRandLogReader::Open(files[f]));
    kuairand::KuaiRandImpression r;
    while (true) {
      FORYOU_ASSIGN_OR_RETURN(bool more, reader->Next(&r));
      if (!more) break;
      if (eval && r.long_view != 0) {
        if (static_cast<double>(long_view_index) >= next_pick) {
          next_pick += stride;
          // The feed is built before this view's events (and any later ones) are known.
          FORYOU_RETURN_IF_ERROR(flush());
          FORYOU_RETURN_IF_ERROR(check(r));
        }
        ++long_view_index;
      }
      const size_t before = events.size();
      kuairand::KuaiRandRowToEvents(r, row_number++, *model_catalog, &events);
      bool valid = true;
      for (size_t i = before; i < events.size() && valid; ++i) {
        valid = stream::ValidateEvent(events[i], r.time_ms + 1).ok();
      }
      if (!valid) events.resize(before);
      if (events.size() >= 4096) FORYOU_RETURN_IF_ERROR(flush());
    }
    FORYOU_RETURN_IF_ERROR(flush());
    if (o.progress) {
      progress << absl::StrFormat("feed-hits: %s done, %d checks so far\n", files[f], result.samples);
    }
  }
  if (parts.is_open()) {
    parts.close();
    if (!parts) return absl::DataLossError(absl::StrCat("feed-hits-parts: writing ", parts_path, " failed"));
  }
  result.mean_candidates =
      result.samples > 0 ? static_cast<double>(candidates_total) / result.samples : 0.0;
  result.secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace foryou::kuairand
