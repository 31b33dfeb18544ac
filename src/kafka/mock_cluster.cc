// The mock cluster runs on its own rd_kafka_t (a producer that never produces): librdkafka ties a
// mock cluster to a handle for its thread and its logging.
#include "kafka/mock_cluster.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

absl::Status MockKafkaCluster::Control(std::string_view text) {
  const std::string line(absl::StripAsciiWhitespace(std::string(text)));
  if (line.empty() || line.front() == '#') return absl::OkStatus();
  const std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mock cluster: \"", line, "\": ", why,
        " (commands: down BROKER, up BROKER, rtt BROKER MS; BROKER 1..", brokers_, " or all)"));
  };
  const std::string& verb = words[0];
  const size_t want = verb == "rtt" ? 3 : 2;
  if (verb != "down" && verb != "up" && verb != "rtt") return bad("unknown command");
  if (words.size() != want) return bad(absl::StrCat("takes ", want - 1, " argument(s)"));
  int32_t first = 1, last = brokers_;
  if (words[1] != "all") {
    if (!absl::SimpleAtoi(words[1], &first) || first < 1 || first > brokers_) {
      return bad("no such broker");
    }
    last = first;
  }
  int rtt_ms = 0;
  if (verb == "rtt" && (!absl::SimpleAtoi(words[2], &rtt_ms) || rtt_ms < 0 || rtt_ms > 60000)) {
    return bad("MS must be 0..60000");
  }
  for (int32_t id = first; id <= last; ++id) {
    absl::Status s = verb == "down" ? SetBrokerDown(id)
                     : verb == "up" ? SetBrokerUp(id)
                                    : SetBrokerRtt(id, rtt_ms);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

namespace {
// Reads what is available on `fd` (readable per poll), applies each whole line. False at end
// of file or on a read error: the channel is closed.
bool ReadMockControl(int fd, std::string* pending, MockKafkaCluster& cluster,
                     const std::function<void(std::string_view, const absl::Status&)>& answer) {
  char buf[4096];
  const ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n > 0) pending->append(buf, static_cast<size_t>(n));
  size_t newline;
  while ((newline = pending->find('\n')) != std::string::npos ||
         (n <= 0 && !pending->empty())) {
    const size_t end = newline == std::string::npos ? pending->size() : newline;
    const std::string line = pending->substr(0, end);
    pending->erase(0, std::min(pending->size(), end + 1));
    const absl::Status s = cluster.Control(line);
    if (answer) answer(line, s);
  }
  return n > 0;
}
}  // namespace

absl::Status RunMockCluster(
    const MockClusterRun& run, const std::function<void(const std::string&)>& ready,
    const std::function<bool()>& stop,
    const std::function<void(std::string_view line, const absl::Status&)>& answer) {
  absl::StatusOr<std::unique_ptr<MockKafkaCluster>> cluster = MockKafkaCluster::Start(run.brokers);
  if (!cluster.ok()) return cluster.status();
  if (!run.topic.empty()) {
    if (absl::Status s = (*cluster)->CreateTopic(run.topic, run.partitions); !s.ok()) return s;
  }
  if (!run.params_topic.empty()) {
    if (absl::Status s = (*cluster)->CreateTopic(run.params_topic, 1); !s.ok()) return s;
  }
  ready((*cluster)->bootstrap());
  int control_fd = run.control_fd;
  std::string pending;
  while (!stop()) {
    if (control_fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    pollfd p{control_fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0 && !ReadMockControl(control_fd, &pending, **cluster, answer)) {
      control_fd = -1;
    }
  }
  return absl::OkStatus();
}

}  // namespace foryou::kafka
