// `foryou kafka-mock [--brokers N] [--topic T] [--partitions P]`: runs librdkafka's mock Kafka
// cluster on loopback for tests and the demo, prints its bootstrap address as the first line on
// stdout, and runs until SIGINT or SIGTERM (docs/design/kafka.md).
#pragma once

#include "CLI/CLI.hpp"

namespace foryou::app {

// Adds the `kafka-mock` subcommand to `app`; a failure sets *exit_code.
void AddKafkaMockCommand(CLI::App& app, int* exit_code);

}  // namespace foryou::app
