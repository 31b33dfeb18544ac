// `foryou serve` (see the header).
#include "server/serve.h"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/heap.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace foryou::server {

namespace {
// The web app's build output, relative to the working directory (`make` runs from the repo).
constexpr char kDefaultStaticDir[] = "web/dist";
// glibc keeps the pages of chunks freed inside its arenas (a snapshot's pieces, a hash map's old
// array after a rehash, a burst's buffers) resident until the arena's top is free; malloc_trim
// hands them back. Measured on the soak's server: 60-100 MB of ~850 MB each time
// (docs/design/memory.md). Every 10 s: a trim takes each arena's lock for milliseconds.
constexpr auto kTrimInterval = std::chrono::seconds(10);
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

absl::Status Serve(ServeOptions options, std::ostream& out, std::ostream& log) {
  if (!options.feed_config_path.empty()) {
    FORYOU_ASSIGN_OR_RETURN(std::string text, common::ReadFile(options.feed_config_path));
    FORYOU_RETURN_IF_ERROR(feed::ParseFeedOptions(text, &options.engine.feed));
  }
  if (!options.moderation_config_path.empty()) {
    FORYOU_ASSIGN_OR_RETURN(std::string text, common::ReadFile(options.moderation_config_path));
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return absl::InvalidArgumentError(
          absl::StrCat(options.moderation_config_path, ": not valid JSON"));
    }
    absl::StatusOr<moderation::ModerationOptions> mo = moderation::ModerationOptionsFromJson(j);
    if (!mo.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(options.moderation_config_path, ": ", mo.status().message()));
    }
    options.engine.moderation = std::move(*mo);
  }
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(options.engine.data_dir));
  std::string keys_path = options.keys_path;
  if (keys_path.empty()) {
    keys_path = options.engine.data_dir + "/keys.json";
    if (!std::filesystem::exists(keys_path)) {
      std::string json;
      ApiKeys::GenerateDefault(&json);
      // Owner-only from the first byte: never briefly readable by others (file_util.h).
      FORYOU_RETURN_IF_ERROR(common::WriteFileAtomically(keys_path, json, common::kSecretFileMode));
    }
  }
  FORYOU_ASSIGN_OR_RETURN(ApiKeys keys, ApiKeys::Load(keys_path));
  for (const auto& [flag, dir] : {std::pair{"--static-dir", options.server.static_dir},
                                  std::pair{"--media-dir", options.server.media_dir}}) {
    if (!dir.empty() && !std::filesystem::is_directory(dir)) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": '", dir, "' is not a directory"));
    }
  }
  if (options.server.static_dir.empty() &&
      std::filesystem::exists(std::string(kDefaultStaticDir) + "/index.html")) {
    options.server.static_dir = std::filesystem::absolute(kDefaultStaticDir).string();
  }
  log << (options.server.static_dir.empty()
              ? std::string("serve: no web app (no --static-dir, no ./web/dist/index.html)\n")
              : "serve: web app from " + options.server.static_dir + "\n");
  if (!options.server.media_dir.empty()) {
    log << "serve: media from " << options.server.media_dir << "\n";
  }

  FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<Engine> engine, Engine::Open(options.engine, log));
  const StartupReport& r = engine->report();
  log << absl::StrFormat(
      "serve: ready in %.1f s (search index %.1f s): %d videos, %d users; %d events in the log "
      "(%d seeded), serving model at offset %d\n",
      r.seconds, r.search_seconds, engine->store().num_videos(), engine->store().num_users(),
      engine->loop().end_offset(), r.seeded_events, engine->loop().serving_offset());
  // The server registers the loop's sync observer: before the trainer thread starts.
  ApiServer server(options.server, {&engine->feed(), &engine->loop(), &engine->store(), keys,
                                    &engine->accounts(), &engine->social(), &engine->search(),
                                    &engine->moderation(),
                                    [e = engine.get()](std::string_view video) {
                                      return e->SimilarVideos(video);
                                    },
                                    &engine->uploads(), &engine->ads_store(),
                                    &engine->ads_ledger(), &engine->ads_pacer(),
                                    &engine->ad_stage()});
  engine->Start();
  FORYOU_RETURN_IF_ERROR(server.Start());

  std::string app_key, admin_key;
  for (const auto& e : keys.entries()) {
    if (e.role == Role::kApp && app_key.empty()) app_key = e.key;
    if (e.role == Role::kAdmin && admin_key.empty()) admin_key = e.key;
  }
  // A wildcard bind is reachable on loopback; print a URL a browser can open.
  const std::string host = options.server.bind == "0.0.0.0" ? "127.0.0.1" : options.server.bind;
  const std::string base = absl::StrFormat("http://%s:%d", host, server.port());
  // The player signs people up and in with accounts (the session cookie); the dashboard reads
  // the admin key from the URL fragment (never sent to the server or logged).
  out << "foryou: player    " << base << "/  (sign up or sign in)\n"
      << "foryou: dashboard " << base << "/dashboard#key=" << admin_key << "\n"
      << "foryou is serving at " << base << "/\n"
      << "  keys (" << keys_path << "): app " << app_key << ", admin " << admin_key << "\n"
      << "  try:  curl -H 'X-Api-Key: " << app_key << "' '" << base << "/v1/feed?user=0&count=5'\n"
      << "        curl '" << base << "/metrics'\n"
      << "  stop with Ctrl-C\n"
      << std::flush;

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  // A stopped trainer or a storage fault degrades the server (/healthz says why) but never ends
  // it: feeds are still served, and events are still taken while the log can store them.
  bool reported = false;
  auto last_trim = std::chrono::steady_clock::now();
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() - last_trim >= kTrimInterval) {
      common::ReleaseFreeMemory();
      last_trim = std::chrono::steady_clock::now();
      // Ad holds past their impression or billing window go back even for groups no request
      // reaches any more (the stage does the work at most once a minute).
      if (absl::Status st = engine->ad_stage().ReleaseExpired(common::WallMs()); !st.ok()) {
        log << "serve: deleting expired served ads (retried later): " << st << "\n";
      }
    }
    if (!reported && !engine->loop().status().ok()) {
      log << "serve: the trainer stopped (serving goes on, degraded): " << engine->loop().status()
          << "\n";
      reported = true;
    }
  }
  log << "serve: stopping\n";
  server.Stop();
  engine->Stop();
  return engine->loop().Snapshot();
}

}  // namespace foryou::server
