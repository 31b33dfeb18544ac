// librdkafka configuration and metadata functions shared by the module's classes.
#include "kafka/kafka_internal.h"

#include "absl/strings/str_cat.h"

namespace foryou::kafka::internal {

absl::StatusOr<rd_kafka_conf_t*> MakeConf(const Config& base, const Config& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const Config* c : {&base, &extra}) {
    for (const auto& [key, value] : *c) {
      if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof(err)) !=
          RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return absl::InvalidArgumentError(absl::StrCat("kafka config ", key, "=", value, ": ", err));
      }
    }
  }
  return conf;
}

absl::StatusOr<rd_kafka_t*> MakeHandle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof(err));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new takes it only on success
    return absl::InvalidArgumentError(absl::StrCat("kafka client: ", err));
  }
  return rk;
}

absl::StatusOr<int32_t> TopicPartitionCount(rd_kafka_t* rk, const std::string& topic,
                                            int timeout_ms) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (t == nullptr) {
    return KafkaError(absl::StrCat("topic ", topic), rd_kafka_last_error());
  }
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError(absl::StrCat("metadata of topic ", topic), err);
  }
  absl::StatusOr<int32_t> count = absl::NotFoundError(absl::StrCat("kafka topic ", topic, ": unknown"));
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& mt = md->topics[i];
    if (topic != mt.topic) continue;
    if (mt.err == RD_KAFKA_RESP_ERR_NO_ERROR && mt.partition_cnt > 0) {
      count = mt.partition_cnt;
    } else if (mt.err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
               mt.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = KafkaError(absl::StrCat("metadata of topic ", topic), mt.err);
    }
  }
  rd_kafka_metadata_destroy(md);
  return count;
}

absl::Status KafkaError(std::string_view what, rd_kafka_resp_err_t err) {
  return absl::UnavailableError(
      absl::StrCat(std::string(what), ": ", rd_kafka_err2name(err), " (", rd_kafka_err2str(err), ")"));
}

}  // namespace foryou::kafka::internal
