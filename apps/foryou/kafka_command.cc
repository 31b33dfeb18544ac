// `foryou kafka-mock`: flags and signal handling around kafka::RunMockCluster.
#include "apps/foryou/kafka_command.h"

#include <csignal>
#include <iostream>

#include "kafka/mock_cluster.h"

namespace foryou::app {

namespace {
volatile std::sig_atomic_t stop_requested = 0;
void RequestStop(int) { stop_requested = 1; }
}  // namespace

void AddKafkaMockCommand(CLI::App& app, int* exit_code) {
  CLI::App* mock = app.add_subcommand(
      "kafka-mock", "Run a mock Kafka cluster on loopback; print its bootstrap address");
  static kafka::MockClusterRun run;
  mock->add_option("--brokers", run.brokers, "Number of brokers (1..16)")
      ->default_val(1)
      ->check(CLI::Range(1, 16));
  mock->add_option("--topic", run.topic, "Event topic to create (empty: none)")
      ->default_val("foryou-events");
  mock->add_option("--partitions", run.partitions, "Partitions of the event topic")
      ->default_val(8)
      ->check(CLI::Range(1, 10000));
  mock->callback([exit_code] {
    std::signal(SIGINT, RequestStop);
    std::signal(SIGTERM, RequestStop);
    absl::Status s = kafka::RunMockCluster(
        run, [](const std::string& bootstrap) { std::cout << bootstrap << std::endl; },
        [] { return stop_requested != 0; });
    if (!s.ok()) {
      std::cerr << "foryou kafka-mock: " << s << "\n";
      *exit_code = 1;
    }
  });
}

}  // namespace foryou::app
