#include "server/metrics.h"

#include <cmath>
#include <map>
#include <regex>
#include <sstream>

#include "gtest/gtest.h"

namespace foryou::server {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Parses text exposition format 0.0.4 strictly; fails the test on any other line.
std::vector<Sample> ParseExposition(const std::string& text,
                                    std::map<std::string, std::string>* types) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? )"
      R"(([-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf)|NaN))");
  static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)\")");
  std::vector<Sample> samples;
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  std::istringstream in(text);
  std::string line;
  std::string current;  // the family being written
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      current = m[1];
    } else if (std::regex_match(line, m, kType)) {
      EXPECT_EQ(m[1], current) << "TYPE without its HELP: " << line;
      EXPECT_EQ(types->count(m[1]), 0u) << "family twice: " << line;
      (*types)[m[1]] = m[2];
    } else if (std::regex_match(line, m, kSample)) {
      Sample s;
      s.name = m[1];
      const std::string type = (*types)[current];
      const bool ok = s.name == current ||
                      (type == "histogram" && (s.name == current + "_bucket" ||
                                               s.name == current + "_sum" ||
                                               s.name == current + "_count"));
      EXPECT_TRUE(ok) << "sample outside its family " << current << ": " << line;
      const std::string labels = m[3];
      for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it) {
        s.labels[(*it)[1]] = (*it)[2];
      }
      const std::string v = m[4];
      s.value = v == "+Inf" ? INFINITY : v == "-Inf" ? -INFINITY : v == "NaN" ? NAN : std::stod(v);
      samples.push_back(s);
    } else {
      ADD_FAILURE() << "not a valid exposition line: \"" << line << "\"";
    }
  }
  return samples;
}

// Checks every histogram child: le ascending to +Inf, counts cumulative, _count == +Inf bucket.
void CheckHistograms(const std::vector<Sample>& samples) {
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;  // child -> (le, count)
  std::map<std::string, double> counts;
  auto child_key = [](const Sample& s, const std::string& base) {
    std::string k = base;
    for (const auto& [n, v] : s.labels) {
      if (n != "le") k += "|" + n + "=" + v;
    }
    return k;
  };
  for (const Sample& s : samples) {
    if (s.name.size() > 7 && s.name.ends_with("_bucket")) {
      const std::string le = s.labels.at("le");
      buckets[child_key(s, s.name.substr(0, s.name.size() - 7))].push_back(
          {le == "+Inf" ? INFINITY : std::stod(le), s.value});
    } else if (s.name.ends_with("_count")) {
      counts[child_key(s, s.name.substr(0, s.name.size() - 6))] = s.value;
    }
  }
  ASSERT_FALSE(buckets.empty());
  for (const auto& [child, bs] : buckets) {
    ASSERT_TRUE(std::isinf(bs.back().first)) << child;
    for (size_t i = 1; i < bs.size(); ++i) {
      EXPECT_LT(bs[i - 1].first, bs[i].first) << child;
      EXPECT_LE(bs[i - 1].second, bs[i].second) << child << " not cumulative";
    }
    ASSERT_EQ(counts.count(child), 1u) << child;
    EXPECT_EQ(counts[child], bs.back().second) << child;
  }
}

TEST(MetricsTest, RendersValidExpositionFormat) {
  Registry r;
  Counter& plain = r.AddCounter("foryou_requests_total", "All requests.");
  auto& events = r.AddCounterFamily("foryou_events_total", "Events ingested, by type.", {"type"});
  Gauge& loaded = r.AddGauge("foryou_model_version", "Serving model version.");
  auto& depth = r.AddGaugeFamily("foryou_queue_depth", "Queue depth.", {"queue", "shard"});
  r.AddGaugeFunction("foryou_uptime_seconds", "Seconds since start.\nSecond line \\ here.",
                     [] { return 12.5; });
  auto& latency = r.AddHistogramFamily("foryou_http_request_seconds", "Request latency.",
                                       {"route"});
  Histogram& plain_hist = r.AddHistogram("foryou_scoring_seconds", "Scoring time.", {0.01, 0.1});
  auto& empty = r.AddCounterFamily("foryou_unused_total", "Never used.", {"x"});
  (void)empty;

  plain.Inc(3);
  events.WithLabels({"like"}).Inc();
  events.WithLabels({"like"}).Inc();
  events.WithLabels({"view"}).Inc(5);
  loaded.Set(42);
  depth.WithLabels({"joiner", "0"}).Set(-1.5);
  depth.WithLabels({"weird \"quoted\" \\ and\nnewline", "1"}).Add(2);
  for (double s : {0.0003, 0.0005, 0.004, 0.2, 7.0}) latency.WithLabels({"/v1/feed"}).Observe(s);
  latency.WithLabels({"/v1/events"}).Observe(0.001);
  plain_hist.Observe(0.05);

  const std::string text = r.Render();
  std::map<std::string, std::string> types;
  std::vector<Sample> samples = ParseExposition(text, &types);
  EXPECT_EQ(types["foryou_requests_total"], "counter");
  EXPECT_EQ(types["foryou_http_request_seconds"], "histogram");
  EXPECT_EQ(types["foryou_uptime_seconds"], "gauge");
  EXPECT_EQ(types["foryou_unused_total"], "counter");
  CheckHistograms(samples);

  EXPECT_NE(text.find("foryou_requests_total 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("foryou_events_total{type=\"like\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("foryou_events_total{type=\"view\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("foryou_model_version 42\n"), std::string::npos);
  EXPECT_NE(text.find("foryou_queue_depth{queue=\"joiner\",shard=\"0\"} -1.5\n"),
            std::string::npos);
  EXPECT_NE(text.find("{queue=\"weird \\\"quoted\\\" \\\\ and\\nnewline\",shard=\"1\"} 2\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("# HELP foryou_uptime_seconds Seconds since start.\\nSecond line \\\\ here."),
            std::string::npos);
  EXPECT_NE(text.find("foryou_uptime_seconds 12.5\n"), std::string::npos);
  // le is inclusive: 0.0005 counts in the 0.0005 bucket.
  EXPECT_NE(text.find("foryou_http_request_seconds_bucket{route=\"/v1/feed\",le=\"0.0005\"} 2\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("foryou_http_request_seconds_bucket{route=\"/v1/feed\",le=\"2.5\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("foryou_http_request_seconds_bucket{route=\"/v1/feed\",le=\"+Inf\"} 5\n"),
            std::string::npos);
  EXPECT_NE(text.find("foryou_http_request_seconds_count{route=\"/v1/feed\"} 5\n"),
            std::string::npos);
  EXPECT_NE(text.find("foryou_scoring_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("foryou_scoring_seconds_sum 0.05\n"), std::string::npos);
  for (const Sample& s : samples) {
    if (s.name == "foryou_http_request_seconds_sum" && s.labels.at("route") == "/v1/feed") {
      EXPECT_NEAR(s.value, 0.0003 + 0.0005 + 0.004 + 0.2 + 7.0, 1e-12);
    }
  }
  // Families come out in registration order.
  EXPECT_LT(text.find("foryou_requests_total"), text.find("foryou_events_total"));
  EXPECT_LT(text.find("foryou_http_request_seconds"), text.find("foryou_scoring_seconds"));
}

TEST(MetricsTest, SpecialAndExtremeValuesStayParseable) {
  Registry r;
  auto& g = r.AddGaugeFamily("g", "values", {"v"});
  g.WithLabels({"big"}).Set(1e20);
  g.WithLabels({"tiny"}).Set(1e-9);
  g.WithLabels({"nan"}).Set(NAN);
  g.WithLabels({"inf"}).Set(INFINITY);
  g.WithLabels({"neg_inf"}).Set(-INFINITY);
  g.WithLabels({"zero"}).Set(0);
  const std::string text = r.Render();
  std::map<std::string, std::string> types;
  std::vector<Sample> samples = ParseExposition(text, &types);
  ASSERT_EQ(samples.size(), 6u) << text;
  std::map<std::string, double> by_label;
  for (const Sample& s : samples) by_label[s.labels.at("v")] = s.value;
  EXPECT_DOUBLE_EQ(by_label["big"], 1e20);
  EXPECT_DOUBLE_EQ(by_label["tiny"], 1e-9);
  EXPECT_TRUE(std::isnan(by_label["nan"]));
  EXPECT_EQ(by_label["inf"], INFINITY);
  EXPECT_EQ(by_label["neg_inf"], -INFINITY);
  EXPECT_NE(text.find("g{v=\"zero\"} 0\n"), std::string::npos) << text;
}

TEST(MetricsTest, WithLabelsReturnsTheSameChild) {
  Registry r;
  auto& f = r.AddCounterFamily("c_total", "c", {"a"});
  EXPECT_EQ(&f.WithLabels({"x"}), &f.WithLabels({"x"}));
  EXPECT_NE(&f.WithLabels({"x"}), &f.WithLabels({"y"}));
}

TEST(MetricsTest, TooManyChildrenShareAnOverflowChild) {
  Registry r;
  auto& f = r.AddCounterFamily("c_total", "c", {"a"});
  for (size_t i = 0; i < Family<Counter>::kMaxChildren; ++i) f.WithLabels({std::to_string(i)});
  Counter& over1 = f.WithLabels({"one more"});
  Counter& over2 = f.WithLabels({"and another"});
  EXPECT_EQ(&over1, &over2);
  over1.Inc();
  EXPECT_NE(r.Render().find("c_total{a=\"__overflow__\"} 1\n"), std::string::npos);
}

TEST(MetricsTest, QuantileInterpolatesInsideBuckets) {
  Histogram h({0.001, 0.01, 0.1, 1});
  EXPECT_EQ(h.Quantile(0.5), 0);  // empty
  for (int i = 0; i < 50; ++i) h.Observe(0.0005);  // (0, 0.001]
  for (int i = 0; i < 40; ++i) h.Observe(0.005);   // (0.001, 0.01]
  for (int i = 0; i < 10; ++i) h.Observe(0.05);    // (0.01, 0.1]
  EXPECT_DOUBLE_EQ(h.Quantile(0.5), 0.001);                       // rank 50: top of bucket 1
  EXPECT_DOUBLE_EQ(h.Quantile(0.25), 0.0005);                     // rank 25 of 50 in (0, 0.001]
  EXPECT_DOUBLE_EQ(h.Quantile(0.7), 0.001 + 0.009 * 20 / 40);     // rank 70: 20 of 40 in bucket 2
  EXPECT_DOUBLE_EQ(h.Quantile(0.99), 0.01 + 0.09 * 9 / 10);       // rank 99: 9 of 10 in bucket 3
  EXPECT_DOUBLE_EQ(h.Quantile(1.0), 0.1);
  h.Observe(100);  // +Inf bucket
  EXPECT_DOUBLE_EQ(h.Quantile(1.0), 1);  // the largest finite bound
  Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.count, 101u);
  EXPECT_EQ(s.counts.back(), 1u);
}

TEST(MetricsTest, QuantileOfLatencyBucketsIsCloseForAUniformSpread) {
  Histogram h;  // default 0.5 ms .. 2.5 s
  for (int i = 1; i <= 1000; ++i) h.Observe(i * 0.00001);  // 0.01 ms .. 10 ms, uniform
  EXPECT_NEAR(h.Quantile(0.5), 0.005, 0.0001);
  EXPECT_NEAR(h.Quantile(0.99), 0.0099, 0.0001);
}

TEST(MetricsTest, GaugeAddAndSet) {
  Gauge g;
  g.Add(1.5);
  g.Add(-0.5);
  EXPECT_DOUBLE_EQ(g.Value(), 1.0);
  g.Set(-3);
  EXPECT_DOUBLE_EQ(g.Value(), -3.0);
}

TEST(MetricsDeathTest, RegistrationErrorsAbort) {
  Registry r;
  r.AddCounter("dup_total", "x");
  EXPECT_DEATH(r.AddCounter("dup_total", "x"), "registered twice");
  EXPECT_DEATH(r.AddCounter("9bad", "x"), "invalid metric name");
  EXPECT_DEATH(r.AddCounterFamily("ok_total", "x", {"bad-label"}), "invalid label name");
  EXPECT_DEATH(r.AddHistogramFamily("h_seconds", "x", {"le"}), "reserved");
  EXPECT_DEATH(r.AddHistogram("h2_seconds", "x", {0.1, 0.1}), "strictly ascending");
  EXPECT_DEATH(r.AddCounterFamily("two_total", "x", {"a"}).WithLabels({"x", "y"}),
               "label values");
}

}  // namespace
}  // namespace foryou::server
