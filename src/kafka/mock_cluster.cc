// The mock cluster runs on its own rd_kafka_t (a producer that never produces): librdkafka ties a
// mock cluster to a handle for its thread and its logging.
#include "kafka/mock_cluster.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "kafka/kafka_internal.h"
#include "librdkafka/rdkafka_mock.h"

namespace foryou::kafka {

absl::StatusOr<std::unique_ptr<MockKafkaCluster>> MockKafkaCluster::Start(int brokers) {
  if (brokers < 1 || brokers > 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("mock cluster: ", brokers, " brokers; must be 1..16"));
  }
  absl::StatusOr<rd_kafka_conf_t*> conf = internal::MakeConf({{"log_level", "3"}}, {});
  if (!conf.ok()) return conf.status();
  absl::StatusOr<rd_kafka_t*> rk = internal::MakeHandle(RD_KAFKA_PRODUCER, *conf);
  if (!rk.ok()) return rk.status();
  std::unique_ptr<MockKafkaCluster> c(new MockKafkaCluster());
  c->rk_ = *rk;
  c->cluster_ = rd_kafka_mock_cluster_new(c->rk_, brokers);
  if (c->cluster_ == nullptr) {
    return absl::UnavailableError("mock cluster: could not start (no loopback port?)");
  }
  c->bootstrap_ = rd_kafka_mock_cluster_bootstraps(c->cluster_);
  c->brokers_ = brokers;
  return c;
}

MockKafkaCluster::~MockKafkaCluster() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

absl::Status MockKafkaCluster::CreateTopic(const std::string& topic, int32_t partitions) {
  if (partitions < 1 || partitions > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("mock cluster: ", partitions, " partitions; must be 1..10000"));
  }
  rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, std::min(3, brokers_));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(
        absl::StrCat("mock cluster: topic ", topic, ": ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

namespace {
absl::Status BrokerResult(int32_t id, rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("mock cluster: broker ", id, ": ", rd_kafka_err2str(err)));
}
}  // namespace

absl::Status MockKafkaCluster::SetBrokerDown(int32_t id) {
  return BrokerResult(id, rd_kafka_mock_broker_set_down(cluster_, id));
}
absl::Status MockKafkaCluster::SetBrokerUp(int32_t id) {
  return BrokerResult(id, rd_kafka_mock_broker_set_up(cluster_, id));
}
absl::Status MockKafkaCluster::SetBrokerRtt(int32_t id, int rtt_ms) {
  return BrokerResult(id, rd_kafka_mock_broker_set_rtt(cluster_, id, rtt_ms));
}

absl::Status RunMockCluster(const MockClusterRun& run,
                            const std::function<void(const std::string&)>& ready,
                            const std::function<bool()>& stop) {
  absl::StatusOr<std::unique_ptr<MockKafkaCluster>> cluster = MockKafkaCluster::Start(run.brokers);
  if (!cluster.ok()) return cluster.status();
  if (!run.topic.empty()) {
    if (absl::Status s = (*cluster)->CreateTopic(run.topic, run.partitions); !s.ok()) return s;
  }
  if (!run.params_topic.empty()) {
    if (absl::Status s = (*cluster)->CreateTopic(run.params_topic, 1); !s.ok()) return s;
  }
  ready((*cluster)->bootstrap());
  while (!stop()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return absl::OkStatus();
}

}  // namespace foryou::kafka
