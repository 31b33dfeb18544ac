// The Kafka commands and flags of `foryou` (docs/design/kafka.md):
//   foryou kafka-mock [--brokers N] [--topic T] [--partitions P]: runs librdkafka's mock Kafka
//     cluster on loopback for tests and the demo, prints its bootstrap address as the first line
//     on stdout, and runs until SIGINT or SIGTERM;
//   foryou kafka-dump --kafka B [--topic T]: prints every record of the event topic as one JSON
//     line, then on stderr the ledger the real-time loop keeps over them;
//   foryou serve --kafka B [--kafka-topic T] [--kafka-catalog-topic C]: the event stream on
//     Kafka (UseKafkaEventStream) and the catalog shared through a changelog (UseKafkaCatalog);
//     with --role trainer|api [--kafka-params-topic P] [--snapshot-dir D] the trainer and the
//     serving replicas as separate processes (UseKafkaRole).
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "server/engine.h"

namespace foryou::app {

// Adds the `kafka-mock` subcommand to `app`; a failure sets *exit_code.
void AddKafkaMockCommand(CLI::App& app, int* exit_code);
// Adds the `kafka-dump` subcommand to `app`; a failure sets *exit_code.
void AddKafkaDumpCommand(CLI::App& app, int* exit_code);

// Makes `engine` append events to `topic` on the cluster at `bootstrap` and train from it (the
// loop reads every partition itself, from the position in its snapshot). Unavailable when no
// broker answers.
[[nodiscard]] absl::Status UseKafkaEventStream(const std::string& bootstrap,
                                               const std::string& topic,
                                               server::EngineOptions* engine);

// Makes every process share `engine`'s catalog through the changelog `topic` (created,
// compacted, when missing): writes are acknowledged once Kafka has them, and every process
// applies everyone's. Unavailable when no broker answers.
[[nodiscard]] absl::Status UseKafkaCatalog(const std::string& bootstrap, const std::string& topic,
                                           server::EngineOptions* engine);

// `serve --role`: "all" (one process: the default), "trainer" (publishes its syncs to
// `params_topic`) or "api" (a replica: trains nothing, its serving model follows
// `params_topic`). Call after UseKafkaEventStream. InvalidArgument for another role;
// Unavailable when no broker answers.
[[nodiscard]] absl::Status UseKafkaRole(const std::string& role, const std::string& bootstrap,
                                        const std::string& params_topic,
                                        server::EngineOptions* engine);

}  // namespace foryou::app
