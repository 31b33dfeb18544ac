// MockKafkaCluster: librdkafka's built-in mock Kafka cluster, for tests and the demo
// (`foryou kafka-mock`). It speaks the Kafka protocol on loopback ports, so other processes can
// use it as a real cluster through its bootstrap address. Not a broker to keep data in: it lives
// in memory and dies with the object.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto cluster, MockKafkaCluster::Start(3));
//   FORYOU_RETURN_IF_ERROR(cluster->CreateTopic("foryou-events", 8));
//   options.bootstrap = cluster->bootstrap();   // "127.0.0.1:36451,127.0.0.1:41231,..."
//   cluster->SetBrokerDown(1);                  // fault injection
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace foryou::kafka {

// Owns the mock cluster and the librdkafka handle it runs on. Thread-safe (the mock runs on its
// own thread; each method hands it one operation).
class MockKafkaCluster {
 public:
  // Starts `brokers` (1..16) brokers with ids 1..brokers on ephemeral loopback ports.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MockKafkaCluster>> Start(int brokers);
  ~MockKafkaCluster();
  MockKafkaCluster(const MockKafkaCluster&) = delete;
  MockKafkaCluster& operator=(const MockKafkaCluster&) = delete;

  // "host:port,host:port,...": the bootstrap.servers of a client.
  const std::string& bootstrap() const { return bootstrap_; }
  int brokers() const { return brokers_; }

  // Creates `topic` with `partitions` partitions, leaders spread over the brokers, and
  // min(3, brokers) replicas. InvalidArgument for a bad count or a topic that exists.
  [[nodiscard]] absl::Status CreateTopic(const std::string& topic, int32_t partitions);

  // Takes broker `id` down (its connections are closed and refused) or back up; sets the extra
  // round-trip time it adds to every response. InvalidArgument for an unknown broker.
  [[nodiscard]] absl::Status SetBrokerDown(int32_t id);
  [[nodiscard]] absl::Status SetBrokerUp(int32_t id);
  [[nodiscard]] absl::Status SetBrokerRtt(int32_t id, int rtt_ms);

  // One fault command, the text of `foryou kafka-mock`'s control channel:
  //   down BROKER | up BROKER | rtt BROKER MS      BROKER: an id 1..brokers() or "all"
  // (MS 0..60000; 0 removes the added latency). Blank lines and lines starting with '#' do
  // nothing. InvalidArgument, changing nothing, for anything else.
  [[nodiscard]] absl::Status Control(std::string_view line);

 private:
  MockKafkaCluster() = default;

  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_;
  int brokers_ = 0;
};

// `foryou kafka-mock`: what it runs.
struct MockClusterRun {
  int brokers = 1;
  std::string topic = "foryou-events";  // created with `partitions` partitions; empty: none
  int32_t partitions = 8;
  // The parameter topic (docs/formats/params.md), created with one partition; empty: none.
  std::string params_topic = "foryou-params";
  // A file descriptor to read fault commands from, one per line (MockKafkaCluster::Control);
  // -1: none. End of file closes the channel, not the cluster.
  int control_fd = -1;
};

// Starts a mock cluster per `run`, calls `ready` with its bootstrap address, then returns once
// `stop()` is true (checked every 50 ms), destroying the cluster. Meanwhile each line read from
// run.control_fd is applied with Control and `answer` (if set) is called with the line and the
// result. Errors from Start and CreateTopic (then `ready` is not called).
[[nodiscard]] absl::Status RunMockCluster(
    const MockClusterRun& run, const std::function<void(const std::string&)>& ready,
    const std::function<bool()>& stop,
    const std::function<void(std::string_view line, const absl::Status&)>& answer = nullptr);

}  // namespace foryou::kafka
