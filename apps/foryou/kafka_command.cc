// `foryou kafka-mock`, `foryou kafka-dump` and the wiring of `serve --kafka`.
#include "apps/foryou/kafka_command.h"

#include <csignal>
#include <iostream>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kafka/kafka_catalog_changelog.h"
#include "kafka/kafka_event_source.h"
#include "kafka/kafka_position.h"
#include "kafka/mock_cluster.h"
#include "nlohmann/json.hpp"
#include "realtime/realtime_loop.h"
#include "stream/event.h"

namespace foryou::app {

namespace {
volatile std::sig_atomic_t stop_requested = 0;
void RequestStop(int) { stop_requested = 1; }
}  // namespace

void AddKafkaMockCommand(CLI::App& app, int* exit_code) {
  CLI::App* mock = app.add_subcommand(
      "kafka-mock",
      "Run a mock Kafka cluster on loopback; print its bootstrap address. Fault commands are\n"
      "read from stdin, one per line: `down BROKER`, `up BROKER` (connections closed and\n"
      "refused / accepted again), `rtt BROKER MS` (MS added to every response; 0: none);\n"
      "BROKER is an id 1..--brokers or `all`. Each applied command is echoed on stdout as\n"
      "`ok COMMAND`; a bad one is answered on stderr and changes nothing. End of stdin only\n"
      "ends the commands; SIGINT/SIGTERM stop the cluster.");
  static kafka::MockClusterRun run;
  mock->add_option("--brokers", run.brokers, "Number of brokers (1..16)")
      ->default_val(1)
      ->check(CLI::Range(1, 16));
  mock->add_option("--topic", run.topic, "Event topic to create (empty: none)")
      ->default_val("foryou-events");
  mock->add_option("--partitions", run.partitions, "Partitions of the event topic")
      ->default_val(8)
      ->check(CLI::Range(1, 10000));
  mock->add_option("--params-topic", run.params_topic,
                   "Parameter topic to create with one partition (empty: none)")
      ->default_val("foryou-params");
  mock->callback([exit_code] {
    std::signal(SIGINT, RequestStop);
    std::signal(SIGTERM, RequestStop);
    run.control_fd = 0;  // stdin
    absl::Status s = kafka::RunMockCluster(
        run, [](const std::string& bootstrap) { std::cout << bootstrap << std::endl; },
        [] { return stop_requested != 0; },
        [](std::string_view line, const absl::Status& result) {
          if (result.ok()) {
            std::cout << "ok " << line << std::endl;
          } else {
            std::cerr << "foryou kafka-mock: " << result.message() << std::endl;
          }
        });
    if (!s.ok()) {
      std::cerr << "foryou kafka-mock: " << s << "\n";
      *exit_code = 1;
    }
  });
}

void AddKafkaDumpCommand(CLI::App& app, int* exit_code) {
  CLI::App* dump = app.add_subcommand(
      "kafka-dump", "Print every record of the Kafka event topic as one JSON line");
  static std::string bootstrap, topic;
  dump->add_option("--kafka", bootstrap, "Bootstrap servers (host:port,...)")->required();
  dump->add_option("--topic", topic, "Event topic")->default_val("foryou-events");
  dump->callback([exit_code] {
    auto fail = [exit_code](const absl::Status& s) {
      std::cerr << "foryou kafka-dump: " << s << "\n";
      *exit_code = 1;
    };
    kafka::KafkaReaderOptions options;
    options.bootstrap = bootstrap;
    options.topic = topic;
    absl::StatusOr<std::unique_ptr<kafka::KafkaEventSource>> source =
        kafka::KafkaEventSource::Open(options, "");
    if (!source.ok()) return fail(source.status());
    absl::StatusOr<uint64_t> end = (*source)->End(10'000);
    if (!end.ok()) return fail(end.status());
    // The same sums as the loop's ledger (realtime::Ledger) over the whole topic.
    realtime::Ledger ledger;
    std::vector<stream::LogRecord> records;
    while ((*source)->count() < *end) {
      if (absl::Status s = (*source)->Poll(4096, 1000, &records); !s.ok()) return fail(s);
      for (const stream::LogRecord& r : records) {
        ++ledger.events;
        ledger.checksum += realtime::Ledger::Hash(r.offset, r.payload);
        nlohmann::json line = {{"partition", r.offset >> 40},
                               {"offset", r.offset & ((uint64_t{1} << 40) - 1)},
                               {"append_time_ms", r.append_time_ms}};
        absl::StatusOr<stream::Event> e = stream::DecodeEvent(r.payload);
        if (e.ok()) {
          line["event"] = nlohmann::json::parse(stream::EventToJson(*e));
        } else {
          line["error"] = std::string(e.status().message());
        }
        std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      }
    }
    std::cout.flush();
    std::cerr << "kafka-dump: records=" << ledger.events << " checksum=" << ledger.checksum
              << "\n";
  });
}

absl::Status UseKafkaEventStream(const std::string& bootstrap, const std::string& topic,
                                 server::EngineOptions* engine) {
  kafka::KafkaLogOptions log;
  log.bootstrap = bootstrap;
  log.topic = topic;
  absl::StatusOr<std::unique_ptr<kafka::KafkaEventSink>> sink = kafka::KafkaEventSink::Open(log);
  if (!sink.ok()) return sink.status();
  engine->event_sink = std::move(*sink);
  kafka::KafkaReaderOptions reader;
  reader.bootstrap = bootstrap;
  reader.topic = topic;
  // A fetch with nothing to return waits at most 10 ms at the broker (librdkafka's default, 500
  // ms, is added to the freshness of every event that arrives while a fetch waits; the mock
  // does not answer a waiting fetch early when records arrive).
  reader.config = {{"fetch.wait.max.ms", "10"}};
  // No consumer group: one trainer reads every partition, from the snapshot's position (a group
  // join on the mock waits 3 s, and a killed member holds its partitions for a session).
  engine->event_source = [reader](std::string_view position)
      -> absl::StatusOr<std::unique_ptr<stream::EventSource>> {
    absl::StatusOr<std::unique_ptr<kafka::KafkaEventSource>> source =
        kafka::KafkaEventSource::Open(reader, position);
    if (!source.ok()) return source.status();
    return std::unique_ptr<stream::EventSource>(std::move(*source));
  };
  return absl::OkStatus();
}

absl::Status UseKafkaCatalog(const std::string& bootstrap, const std::string& topic,
                             server::EngineOptions* engine) {
  kafka::CatalogChangelogOptions options;
  options.bootstrap = bootstrap;
  options.topic = topic;
  options.reader_config = {{"fetch.wait.max.ms", "10"}};  // as the event reader
  absl::StatusOr<std::unique_ptr<kafka::KafkaCatalogChangelog>> changelog =
      kafka::KafkaCatalogChangelog::Open(options);
  if (!changelog.ok()) return changelog.status();
  engine->catalog_changelog = std::move(*changelog);
  return absl::OkStatus();
}

absl::Status UseKafkaRole(const std::string& role, const std::string& bootstrap,
                          const std::string& params_topic, server::EngineOptions* engine) {
  if (role == "all") return absl::OkStatus();
  if (role != "trainer" && role != "api") {
    return absl::InvalidArgumentError(
        absl::StrCat("--role ", role, ": must be all, trainer or api"));
  }
  if (role == "trainer") {
    kafka::KafkaLogOptions log;
    log.bootstrap = bootstrap;
    log.topic = params_topic;
    log.partitions = 1;  // one ordered stream of syncs
    log.keyed_by_user = false;
    log.max_record_bytes = 64u << 20;  // a dense blob is one record, whatever its size
    // A sync is published from the trainer thread: a broker down stalls training for at most
    // this long per sync (the sync is kept and sent again).
    log.delivery_timeout_ms = 5000;
    absl::StatusOr<std::unique_ptr<kafka::KafkaEventSink>> sink = kafka::KafkaEventSink::Open(log);
    if (!sink.ok()) return sink.status();
    engine->params_sink = std::move(*sink);
    return absl::OkStatus();
  }
  kafka::KafkaReaderOptions reader;
  reader.bootstrap = bootstrap;
  reader.topic = params_topic;
  reader.config = {{"fetch.wait.max.ms", "10"}};  // as the event reader (UseKafkaEventStream)
  engine->params_source =
      [reader](uint64_t first) -> absl::StatusOr<std::unique_ptr<stream::EventSource>> {
    kafka::KafkaPosition from;
    from.Set(0, static_cast<int64_t>(first));
    absl::StatusOr<std::unique_ptr<kafka::KafkaEventSource>> source =
        kafka::KafkaEventSource::Open(reader, kafka::EncodeKafkaPosition(from));
    if (!source.ok()) return source.status();
    return std::unique_ptr<stream::EventSource>(std::move(*source));
  };
  return absl::OkStatus();
}

}  // namespace foryou::app
