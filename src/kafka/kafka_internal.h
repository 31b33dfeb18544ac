// What the producer, the reader and the mock cluster share: librdkafka configuration built from
// key/value pairs with its errors as Status values, and handle deleters for std::unique_ptr.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "librdkafka/rdkafka.h"

namespace foryou::kafka::internal {

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct TopicPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};

using Config = std::vector<std::pair<std::string, std::string>>;

// A new rd_kafka_conf_t with every pair of `base` then `extra` set (a later key wins).
// InvalidArgument naming the property librdkafka refused, and why.
absl::StatusOr<rd_kafka_conf_t*> MakeConf(const Config& base, const Config& extra);

// A producer or consumer handle from `conf` (consumed, also on error). InvalidArgument with
// librdkafka's reason when it cannot be created.
absl::StatusOr<rd_kafka_t*> MakeHandle(rd_kafka_type_t type, rd_kafka_conf_t* conf);

// The partition count of `topic` from the cluster's metadata; NotFound when the cluster does not
// know it, Unavailable when no broker answered within `timeout_ms`.
absl::StatusOr<int32_t> TopicPartitionCount(rd_kafka_t* rk, const std::string& topic,
                                            int timeout_ms);

// "Unavailable: <what>: <librdkafka's error name and text>".
absl::Status KafkaError(std::string_view what, rd_kafka_resp_err_t err);

}  // namespace foryou::kafka::internal
