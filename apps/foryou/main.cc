// The foryou binary: one executable, one subcommand per job. Flags and wiring only.
#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "apps/foryou/kafka_command.h"
#include "apps/foryou/log_command.h"
#include "apps/foryou/media_command.h"
#include "ads/ads_simulation.h"
#include "apps/foryou/media_match_command.h"
#include "common/file_util.h"
#include "embedding/embedding_bench.h"
#include "model/features.h"
#include "kuairand/demo_seeder.h"
#include "kuairand/feed_hits.h"
#include "server/serve.h"
#include "sim/simulator.h"
#include "realtime/freshness_bench.h"
#include "kuairand/log_replay.h"
#include "kuairand/replay.h"

#ifdef FORYOU_JEMALLOC
// The release binary's malloc is jemalloc (docs/design/memory.md): under the soak's load glibc's
// arenas kept growing their free chunks, where jemalloc hands unused pages back on its own.
// jemalloc reads this at its first allocation; MALLOC_CONF in the environment wins. A background
// thread purges pages unused for 2 s (dirty_decay_ms) and returns them at once (muzzy 0), so no
// request pays for the purge.
extern "C" {
const char* malloc_conf = "background_thread:true,dirty_decay_ms:2000,muzzy_decay_ms:0";
}
#endif

int main(int argc, char** argv) {
#ifndef FORYOU_JEMALLOC
  // glibc (a build without jemalloc) gives each thread that meets a busy arena a new one (up to
  // 8 per core), and memory freed into an arena is reused only by the threads that land there:
  // under `serve`'s 128 handler threads two arenas hold 8-14% less RSS than the default, at no
  // measured feed latency cost. MALLOC_ARENA_MAX in the environment wins.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
#endif
  CLI::App app{"foryou: the For You feed engine"};
  app.require_subcommand(1);

  CLI::App* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::cout << "foryou " << FORYOU_VERSION << "\n"; });

  CLI::App* bench = app.add_subcommand("bench", "Run a benchmark");
  bench->require_subcommand(1);
  foryou::embedding::EmbeddingBenchOptions eopts;
  CLI::App* bench_embedding = bench->add_subcommand(
      "embedding", "Embedding table vs libcuckoo vs std::unordered_map (same process)");
  bench_embedding->add_option("--keys", eopts.distinct_keys, "Distinct ids")->check(CLI::Range(1000ull, 1000000000ull));
  bench_embedding->add_option("--ops", eopts.ops, "Operations per workload")->check(CLI::Range(1000ull, 10000000000ull));
  bench_embedding->add_option("--batch", eopts.batch, "Keys per batch")->check(CLI::Range(1u, 1u << 20));
  bench_embedding->add_option("--dims", eopts.dims, "Embedding dimensions")->check(CLI::Range(1u, 1024u));
  bench_embedding->add_option("--zipf", eopts.zipf_s, "Zipf exponent")->check(CLI::Range(0.0, 5.0));
  bench_embedding->add_option("--seed", eopts.seed, "Random seed");
  bench_embedding->add_flag("!--no-unordered-map", eopts.run_unordered_map,
                            "Skip the std::unordered_map baseline");
  int exit_code = 0;
  bench_embedding->callback([&] {
    absl::Status s = foryou::embedding::RunEmbeddingBench(eopts, std::cout);
    if (!s.ok()) {
      std::cerr << "foryou bench embedding: " << s << "\n";
      exit_code = 1;
    }
  });

  foryou::realtime::FreshnessBenchOptions fopts;
  fopts.dir = "/tmp";
  CLI::App* bench_freshness = bench->add_subcommand(
      "freshness", "Event acknowledgement -> serving model latency under a steady load (one process)");
  bench_freshness->add_option("--dir", fopts.dir, "Directory for the log and late store")
      ->check(CLI::ExistingDirectory);
  bench_freshness->add_option("--seconds", fopts.seconds, "Length of the steady load")->check(CLI::Range(0.1, 3600.0));
  bench_freshness->add_option("--rate", fopts.events_per_s, "Offered load, events/s")->check(CLI::Range(1.0, 1e7));
  bench_freshness->add_option("--users", fopts.users, "Distinct users")->check(CLI::Range(1ull, 1ull << 40));
  bench_freshness->add_option("--videos", fopts.videos, "Distinct videos")->check(CLI::Range(1ull, 1ull << 32));
  bench_freshness->add_option("--sync-interval-ms", fopts.sync_interval_ms, "Trainer -> serving sync interval")
      ->check(CLI::Range(0, 60000));
  bench_freshness->add_option("--ingest-events", fopts.ingest_events, "Events of the ingest-throughput phase")
      ->check(CLI::Range(2000ull, 1ull << 34));
  bench_freshness->callback([&] {
    absl::Status s = foryou::realtime::RunFreshnessBench(fopts, std::cout);
    if (!s.ok()) {
      std::cerr << "foryou bench freshness: " << s << "\n";
      exit_code = 1;
    }
  });

  CLI::App* replay = app.add_subcommand(
      "replay", "Online (progressive-validation) replay of a KuaiRand log through the trainer");
  foryou::kuairand::ReplayOptions ropts;
  std::string config_path;
  replay->add_option("--warmup", ropts.warmup, "Log file(s) to train on first, in time order")
      ->required()->check(CLI::ExistingFile);
  replay->add_option("--eval", ropts.eval, "Log file scored then trained on (the metrics)")
      ->required()->check(CLI::ExistingFile);
  replay->add_option("--videos", ropts.videos, "video_features_basic CSV")->required()->check(CLI::ExistingFile);
  replay->add_option("--users", ropts.users, "user_features CSV")->required()->check(CLI::ExistingFile);
  replay->add_option("--history", ropts.history, "user_sequences CSV (warm-start histories)")
      ->check(CLI::ExistingFile);
  replay->add_option("--config", config_path, "Model config JSON (default: the built-in config/model.json)")
      ->check(CLI::ExistingFile);
  replay->add_option("--hash-buckets", ropts.hash_buckets,
                     "Hash ids into N rows per slot (collision baseline); 0 = collisionless")
      ->check(CLI::Range(0ull, 1ull << 40));
  replay->add_option("--batch", ropts.batch, "Mini-batch size")->check(CLI::Range(1, 65536));
  replay->add_option("--threads", ropts.threads, "1 = everything on one thread; 2 = parse on a second")
      ->check(CLI::Range(1, 64));
  replay->add_flag("!--no-progress", ropts.progress, "No progress lines on stderr");
  bool through_log = false;
  std::string work_dir = "/tmp";
  replay->add_flag("--through-log", through_log,
                   "Through the real-time path: events -> durable log -> joiner -> trainer");
  replay->add_option("--work-dir", work_dir,
                     "With --through-log: where the temporary event log goes (removed at the end)")
      ->check(CLI::ExistingDirectory);
  int64_t window_close_only_ms = 0;
  replay->add_option("--emit-at-window-close", window_close_only_ms,
                     "With --through-log: emit examples only when a window of MS closes, not at the "
                     "view end")
      ->check(CLI::Range(int64_t{1}, int64_t{86'400'000}));
  std::vector<std::string> drop;
  replay->add_option("--drop", drop, "Features to leave out of the config (ablations)")->delimiter(',');
  std::vector<std::string> add;
  replay->add_option("--add", add, "Catalog features to add to the config, with its sparse defaults")
      ->delimiter(',');
  int feed_hits = 0;
  CLI::Option* feed_hits_option = replay->add_option("--feed-hits", feed_hits,
                     "Instead of AUCs: sample N eval long-views and check whether each user's feed "
                     "of 50 (retrieval, ranking, rules) contains the video")
      ->check(CLI::Range(1, 1000000));
  std::string feed_config;
  replay->add_option("--feed-config", feed_config, "Feed options for --feed-hits (JSON file)");
  std::string feed_hits_parts;
  replay->add_option("--feed-hits-parts", feed_hits_parts,
                     "With --feed-hits: write the watch-next score parts of each sample's best 400 "
                     "videos and its target to this file (docs/formats/feed_hits_parts.md)")
      ->needs(feed_hits_option);
  replay->callback([&] {
    absl::StatusOr<foryou::model::ModelConfig> config =
        config_path.empty()
            ? foryou::model::ParseModelConfig(foryou::model::DefaultModelConfigJson())
            : foryou::model::LoadModelConfig(config_path);
    if (!config.ok()) {
      std::cerr << "foryou replay: " << config.status() << "\n";
      exit_code = 2;
      return;
    }
    for (const std::string& name : drop) {
      auto& fs = config->features;
      const auto it = std::find_if(fs.begin(), fs.end(), [&](const auto& f) { return f.name == name; });
      if (it == fs.end()) {
        std::cerr << "foryou replay: --drop " << name << ": not a feature of the config\n";
        exit_code = 2;
        return;
      }
      fs.erase(it);
    }
    for (const std::string& name : add) {
      if (config->Find(name) == nullptr || config->Has(name)) {
        std::cerr << "foryou replay: --add " << name << ": unknown or already in the config\n";
        exit_code = 2;
        return;
      }
      config->features.push_back({.name = name, .sparse = config->sparse_defaults});
    }
    if (absl::Status s = config->ToTableConfig().status(); !s.ok()) {
      std::cerr << "foryou replay: " << s << "\n";
      exit_code = 2;
      return;
    }
    ropts.config = *std::move(config);
    if (window_close_only_ms > 0 && !through_log) {
      std::cerr << "foryou replay: --emit-at-window-close needs --through-log\n";
      exit_code = 2;
      return;
    }
    if (feed_hits > 0) {
      foryou::feed::FeedOptions fo;
      if (!feed_config.empty()) {
        absl::StatusOr<std::string> text = foryou::common::ReadFile(feed_config);
        absl::Status s = text.ok() ? foryou::feed::ParseFeedOptions(*text, &fo) : text.status();
        if (!s.ok()) {
          std::cerr << "foryou replay: --feed-config: " << s << "\n";
          exit_code = 2;
          return;
        }
      }
      absl::StatusOr<foryou::kuairand::FeedHitsResult> hits =
          foryou::kuairand::RunFeedHits(ropts, feed_hits, 50, fo, work_dir, std::cerr, feed_hits_parts);
      if (!hits.ok()) {
        std::cerr << "foryou replay: " << hits.status() << "\n";
        exit_code = 1;
        return;
      }
      std::cout << hits->Line() << std::endl;
      return;
    }
    absl::StatusOr<foryou::kuairand::ReplayResult> result =
        through_log ? foryou::kuairand::RunReplayThroughLog(ropts, work_dir, std::cerr, window_close_only_ms)
                    : foryou::kuairand::RunReplay(ropts, std::cerr);
    if (!result.ok()) {
      std::cerr << "foryou replay: " << result.status() << "\n";
      exit_code = 1;
      return;
    }
    std::cout << result->Line() << std::endl;
  });

  // ---- serve ----
  CLI::App* serve = app.add_subcommand("serve", "Run the feed service: catalog, real-time loop, HTTP API");
  foryou::server::ServeOptions sopts;
  serve->add_option("--data-dir", sopts.engine.data_dir, "Data directory (catalog, log, snapshots)")
      ->required();
  std::string import_dir, seed_log;
  serve->add_option("--import", import_dir,
                    "KuaiRand-Pure directory to import when the catalog is empty");
  serve->add_option("--seed-log", seed_log,
                    "KuaiRand log replayed as events when the event log is empty");
  serve->add_option("--bind", sopts.server.bind, "Address to listen on")->capture_default_str();
  serve->add_option("--port", sopts.server.port, "Port (0 = any free port)")->capture_default_str();
  serve->add_option("--threads", sopts.server.threads, "HTTP io threads (requests handled at once)")
      ->check(CLI::Range(1, 256))->capture_default_str();
  serve->add_option("--keys", sopts.keys_path, "API keys file (default <data-dir>/keys.json)");
  serve->add_option("--feed-config", sopts.feed_config_path, "Feed options (JSON)");
  serve->add_option("--moderation-config", sopts.moderation_config_path,
                    "Moderation options: banned terms, media policy, reports threshold (JSON; "
                    "config/moderation.json)");
  serve->add_option("--static-dir", sopts.server.static_dir,
                    "Web app files served at / (default ./web/dist if it has index.html)");
  serve->add_option("--media-dir", sopts.server.media_dir,
                    "Video files served at /media/ (no key; Range requests)");
  serve->add_option("--max-body", sopts.server.max_body_bytes,
                    "Largest request body in bytes (also bounds an upload's chunk)")
      ->check(CLI::Range(uint64_t{1024}, uint64_t{64} << 20))->capture_default_str();
  uint64_t upload_max_mb = sopts.engine.uploads.limits.max_bytes >> 20;
  serve->add_option("--upload-max-mb", upload_max_mb, "Largest upload (MB)")
      ->check(CLI::Range(1, 16384))->capture_default_str();
  int64_t upload_expire_hours = 24;
  serve->add_option("--upload-expire-hours", upload_expire_hours,
                    "An upload left open this long is removed with its bytes")
      ->check(CLI::Range(1, 24 * 30))->capture_default_str();
  serve->add_option("--media-worker", sopts.engine.uploads.pipeline.worker.binary,
                    "The binary run as `BINARY media-worker --job J --result R`")
      ->capture_default_str();
  serve->add_option("--stats-interval-ms", sopts.server.stats_interval_ms,
                    "Dashboard sample interval (GET /v1/admin/stats)")
      ->capture_default_str();
  serve->add_option("--utc-offset-minutes", sopts.engine.utc_offset_minutes,
                    "Local time of the users for hour / weekday features")
      ->check(CLI::Range(-720, 840));
  std::string kafka_bootstrap, kafka_topic = "foryou-events";
  CLI::Option* kafka_option = serve->add_option(
      "--kafka", kafka_bootstrap,
      "Kafka bootstrap servers: the event log on Kafka instead of <data-dir>/log");
  serve->add_option("--kafka-topic", kafka_topic, "Event topic (with --kafka)")
      ->needs(kafka_option)
      ->capture_default_str();
  std::string catalog_topic = "foryou-catalog";
  serve->add_option("--kafka-catalog-topic", catalog_topic,
                    "Compacted changelog topic every process shares the catalog through "
                    "(with --kafka)")
      ->needs(kafka_option)
      ->capture_default_str();
  std::string role = "all", params_topic = "foryou-params";
  serve->add_option("--role", role,
                    "all: one process; trainer: trains and publishes parameters; api: serves, "
                    "follows the trainer's parameters (trainer and api need --kafka)")
      ->check(CLI::IsMember({"all", "trainer", "api"}))
      ->capture_default_str();
  serve->add_option("--kafka-params-topic", params_topic,
                    "Parameter topic of --role trainer / api")
      ->needs(kafka_option)
      ->capture_default_str();
  serve->add_option("--snapshot-dir", sopts.engine.snapshot_dir,
                    "The loop's snapshots (default <data-dir>/snapshots); --role api reads the "
                    "trainer's here");
  serve->add_option("--snapshot-interval-ms", sopts.engine.snapshot_interval_ms,
                    "Interval between snapshots of the real-time loop")
      ->check(CLI::Range(int64_t{10}, int64_t{24} * 3600 * 1000))->capture_default_str();
  serve->callback([&] {
    sopts.engine.seeder = foryou::kuairand::DemoSeeder::Make(import_dir, seed_log);
    if (role != "all" && kafka_bootstrap.empty()) {
      std::cerr << "foryou serve: --role " << role << " needs --kafka\n";
      exit_code = 1;
      return;
    }
    if (!kafka_bootstrap.empty()) {
      absl::Status s =
          foryou::app::UseKafkaEventStream(kafka_bootstrap, kafka_topic, &sopts.engine);
      if (s.ok()) s = foryou::app::UseKafkaCatalog(kafka_bootstrap, catalog_topic, &sopts.engine);
      if (s.ok()) s = foryou::app::UseKafkaRole(role, kafka_bootstrap, params_topic, &sopts.engine);
      if (!s.ok()) {
        std::cerr << "foryou serve: --kafka " << kafka_bootstrap << ": " << s << "\n";
        exit_code = 1;
        return;
      }
    }
    sopts.engine.uploads.limits.max_bytes = upload_max_mb << 20;
    sopts.engine.uploads.limits.expire_ms = upload_expire_hours * 3600 * 1000;
    if (absl::Status s = foryou::server::Serve(sopts, std::cout, std::cerr); !s.ok()) {
      std::cerr << "foryou serve: " << s << "\n";
      exit_code = 1;
    }
  });

  // ---- simulate ----
  CLI::App* simulate = app.add_subcommand(
      "simulate", "Synthetic users with drifting tastes browse a live service over HTTP");
  foryou::sim::SimOptions simopts;
  simulate->add_option("--users", simopts.users, "Background users (the warm-up population)")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  simulate->add_option("--warmup-swipes", simopts.warmup_swipes, "Swipes per background user")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  simulate->add_option("--new-users", simopts.new_users, "Measured new users")
      ->check(CLI::Range(1, 10000))->capture_default_str();
  simulate->add_option("--swipes", simopts.swipes, "Swipes per new user, before and after the taste shift")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  simulate->add_option("--videos", simopts.world.videos, "Videos in the synthetic catalog")
      ->check(CLI::Range(10, 1000000))->capture_default_str();
  simulate->add_option("--page-size", simopts.page_size, "Items per feed request")
      ->check(CLI::Range(1, 50))->capture_default_str();
  simulate->add_flag("--live", simopts.live,
                     "Run the service as in production (wall clock, trainer thread, client threads): "
                     "not reproducible; default: lockstep rounds on a simulated clock");
  simulate->add_option("--threads", simopts.threads, "Client threads (--live)")
      ->check(CLI::Range(1, 256))->capture_default_str();
  simulate->add_option("--seed", simopts.seed, "Random seed (catalog, tastes, reactions)")->capture_default_str();
  simulate->add_option("--data-dir", simopts.data_dir,
                       "New or empty data directory for the service (default: a temporary one)");
  std::string sim_feed_config, sim_world = "calibrated";
  simulate->add_option("--feed-config", sim_feed_config, "Feed options of the simulated service (JSON file)");
  simulate->add_option("--world", sim_world,
                       "calibrated (config/sim_world.json, fitted from KuaiRand), synthetic "
                       "(uniform categories, no crowd effect), or a calibration JSON file")
      ->capture_default_str();
  bool sim_ads = false;
  std::string sim_traffic_curve;
  simulate->add_flag("--ads", sim_ads,
                     "Instead: a day of ad traffic through the ads engine (auction, pacer, "
                     "ledger) in simulated time, with a few hundred ad groups");
  int64_t sim_ad_slots = foryou::ads::AdsSimOptions{}.slots_per_day;
  simulate->add_option("--slots", sim_ad_slots,
                       "With --ads: ad slot opportunities in the day")
      ->check(CLI::Range(int64_t{1000}, int64_t{100'000'000}))->capture_default_str();
  simulate->add_option("--traffic-curve", sim_traffic_curve,
                       "With --ads: the day's relative traffic, one number per line, 24 or 96 "
                       "lines (default: the pacer's daily curve)");
  simulate->callback([&] {
    if (sim_ads) {
      foryou::ads::AdsSimOptions ads_options;
      ads_options.seed = simopts.seed;
      ads_options.slots_per_day = sim_ad_slots;
      if (!sim_traffic_curve.empty()) {
        absl::StatusOr<std::string> text = foryou::common::ReadFile(sim_traffic_curve);
        absl::StatusOr<std::vector<double>> curve =
            text.ok() ? foryou::ads::ParseTrafficCurve(*text) : text.status();
        if (!curve.ok()) {
          std::cerr << "foryou simulate: --traffic-curve: " << curve.status() << "\n";
          exit_code = 2;
          return;
        }
        ads_options.traffic = *std::move(curve);
      }
      absl::StatusOr<foryou::ads::AdsSimResult> r =
          foryou::ads::RunAdsSimulation(ads_options, std::cerr);
      if (!r.ok()) {
        std::cerr << "foryou simulate: " << r.status() << "\n";
        exit_code = 1;
        return;
      }
      std::cout << r->Report() << r->Line() << std::endl;
      return;
    }
    if (simulate->count("--slots") > 0) {
      std::cerr << "foryou simulate: --slots needs --ads\n";
      exit_code = 2;
      return;
    }
    if (!sim_traffic_curve.empty()) {
      std::cerr << "foryou simulate: --traffic-curve needs --ads\n";
      exit_code = 2;
      return;
    }
    if (sim_world != "synthetic") {
      absl::StatusOr<std::string> text =
          sim_world == "calibrated" ? std::string(foryou::sim::DefaultWorldCalibrationJson())
                                    : foryou::common::ReadFile(sim_world);
      absl::StatusOr<foryou::sim::WorldCalibration> c =
          text.ok() ? foryou::sim::ParseWorldCalibration(*text) : text.status();
      if (!c.ok()) {
        std::cerr << "foryou simulate: --world: " << c.status() << "\n";
        exit_code = 2;
        return;
      }
      simopts.world.calibration = *std::move(c);
      simopts.world.categories = static_cast<int>(simopts.world.calibration.category_share.size());
    }
    if (!sim_feed_config.empty()) {
      absl::StatusOr<std::string> text = foryou::common::ReadFile(sim_feed_config);
      absl::Status s = text.ok() ? foryou::feed::ParseFeedOptions(*text, &simopts.feed) : text.status();
      if (!s.ok()) {
        std::cerr << "foryou simulate: --feed-config: " << s << "\n";
        exit_code = 2;
        return;
      }
    }
    absl::StatusOr<foryou::sim::SimResult> r = foryou::sim::RunSimulation(simopts, std::cerr);
    if (!r.ok()) {
      std::cerr << "foryou simulate: " << r.status() << "\n";
      exit_code = 1;
      return;
    }
    std::cout << r->DetailLine() << "\n" << r->Line() << std::endl;
  });

  foryou::app::AddLogCommand(app, &exit_code);
  foryou::app::AddKafkaMockCommand(app, &exit_code);
  foryou::app::AddKafkaDumpCommand(app, &exit_code);
  CLI::App* media = foryou::app::AddMediaCommands(app, &exit_code);
  foryou::app::AddMediaMatchCommand(media, &exit_code);

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
