// Prometheus text format 0.0.4: for every family `# HELP name text` and `# TYPE name type`, then
// one `name{label="value",...} number` line per sample; a histogram child writes cumulative
// `name_bucket{...,le="bound"}` lines ending with le="+Inf", then `name_sum` and `name_count`.
// Label values escape \ " and newline; HELP text escapes \ and newline.
#include "server/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace foryou::server {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "metrics: %s\n", what.c_str());
  std::abort();
}

bool ValidName(std::string_view s, bool allow_colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                       (allow_colon && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

void AppendNumber(double v, std::string* out) {
  if (std::isnan(v)) {
    *out += "NaN";
  } else if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
  } else {
    // Shortest round-trip digits; plain decimals in the usual range so that bucket bounds read
    // le="0.0005" (as other clients write them), not le="5e-04".
    char buf[64];
    const double a = std::fabs(v);
    auto r = (a == 0 || (a >= 1e-6 && a < 1e15))
                 ? std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed)
                 : std::to_chars(buf, buf + sizeof(buf), v);
    out->append(buf, r.ptr);
  }
}

void AppendEscaped(std::string_view s, bool quote_too, std::string* out) {
  for (char c : s) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '"' && quote_too) {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

// `{a="x",b="y"}` (with an optional trailing `le`), or nothing when there are no labels.
void AppendLabels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                  const char* le, std::string* out) {
  if (names.empty() && le == nullptr) return;
  *out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) *out += ',';
    *out += names[i];
    *out += "=\"";
    AppendEscaped(values[i], /*quote_too=*/true, out);
    *out += '"';
  }
  if (le != nullptr) {
    if (!names.empty()) *out += ',';
    *out += "le=\"";
    *out += le;
    *out += '"';
  }
  *out += '}';
}

void AppendHeader(const std::string& name, const std::string& help, const char* type,
                  std::string* out) {
  *out += "# HELP " + name + " ";
  AppendEscaped(help, /*quote_too=*/false, out);
  *out += "\n# TYPE " + name + " " + type + "\n";
}

void RenderChild(const std::string& name, const std::vector<std::string>& label_names,
                 const std::vector<std::string>& values, const Counter& c, std::string* out) {
  *out += name;
  AppendLabels(label_names, values, nullptr, out);
  *out += ' ' + std::to_string(c.Value()) + '\n';
}

void RenderChild(const std::string& name, const std::vector<std::string>& label_names,
                 const std::vector<std::string>& values, const Gauge& g, std::string* out) {
  *out += name;
  AppendLabels(label_names, values, nullptr, out);
  *out += ' ';
  AppendNumber(g.Value(), out);
  *out += '\n';
}

void RenderChild(const std::string& name, const std::vector<std::string>& label_names,
                 const std::vector<std::string>& values, const Histogram& h, std::string* out) {
  const Histogram::Snapshot snap = h.Read();
  uint64_t cumulative = 0;
  std::string le;
  for (size_t i = 0; i <= h.bounds().size(); ++i) {
    cumulative += snap.counts[i];
    le.clear();
    if (i < h.bounds().size()) {
      AppendNumber(h.bounds()[i], &le);
    } else {
      le = "+Inf";
    }
    *out += name + "_bucket";
    AppendLabels(label_names, values, le.c_str(), out);
    *out += ' ' + std::to_string(cumulative) + '\n';
  }
  *out += name + "_sum";
  AppendLabels(label_names, values, nullptr, out);
  *out += ' ';
  AppendNumber(snap.sum, out);
  *out += '\n' + name + "_count";
  AppendLabels(label_names, values, nullptr, out);
  *out += ' ' + std::to_string(snap.count) + '\n';
}

template <typename T>
constexpr const char* TypeName();
template <>
constexpr const char* TypeName<Counter>() { return "counter"; }
template <>
constexpr const char* TypeName<Gauge>() { return "gauge"; }
template <>
constexpr const char* TypeName<Histogram>() { return "histogram"; }

}  // namespace

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

void Gauge::Add(double d) {
  double cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  if (bounds_.empty()) Die("histogram needs at least one bucket bound");
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && !(bounds_[i] > bounds_[i - 1]))) {
      Die("histogram bounds must be finite and strictly ascending");
    }
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  // Buckets are few (about a dozen): a linear scan beats a binary search here. `le` is
  // inclusive: a value equal to a bound counts in that bound's bucket. NaN lands in +Inf.
  size_t i = 0;
  while (i < bounds_.size() && !(value <= bounds_[i])) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + value, std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.counts.resize(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

double Histogram::Quantile(double q) const {
  const Snapshot s = Read();
  if (s.count == 0) return 0;
  q = std::min(1.0, std::max(0.0, q));
  const double rank = q * static_cast<double>(s.count);
  uint64_t below = 0;  // observations in buckets before i
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (static_cast<double>(below + s.counts[i]) >= rank && s.counts[i] > 0) {
      const double lo = i == 0 ? 0.0 : bounds_[i - 1];
      const double hi = bounds_[i];
      return lo + (hi - lo) * (rank - static_cast<double>(below)) / static_cast<double>(s.counts[i]);
    }
    below += s.counts[i];
  }
  return bounds_.back();
}

template <typename T>
Family<T>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                  std::function<std::unique_ptr<T>()> make)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      make_(std::move(make)) {}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    Die(name_ + ": " + std::to_string(values.size()) + " label values for " +
        std::to_string(label_names_.size()) + " label names");
  }
  common::MutexLock lock(&mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  if (children_.size() >= kMaxChildren) {
    std::vector<std::string> overflow(values.size(), "__overflow__");
    auto& child = children_[overflow];
    if (!child) child = make_();
    return *child;
  }
  auto& child = children_[values];
  child = make_();
  return *child;
}

template <typename T>
void Family<T>::Render(std::string* out) const {
  AppendHeader(name_, help_, TypeName<T>(), out);
  common::MutexLock lock(&mu_);
  for (const auto& [values, child] : children_) {
    RenderChild(name_, label_names_, values, *child, out);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Registry::Entry {
  std::string name;
  std::string help;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::function<double()> fn;  // a function-backed gauge
};

Registry::Registry() = default;
Registry::~Registry() = default;

// The entry is complete before it is published under mu_, so Render never sees it half-built.
void Registry::AddEntry(std::unique_ptr<Entry> entry, const char* type,
                        const std::vector<std::string>& label_names) {
  const std::string& name = entry->name;
  if (!ValidName(name, /*allow_colon=*/true)) Die("invalid metric name \"" + name + "\"");
  for (const std::string& l : label_names) {
    if (!ValidName(l, /*allow_colon=*/false) || l.rfind("__", 0) == 0) {
      Die(name + ": invalid label name \"" + l + "\"");
    }
    if (l == "le" && std::string_view(type) == "histogram") Die(name + ": label \"le\" is reserved");
  }
  for (size_t i = 0; i < label_names.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (label_names[i] == label_names[j]) Die(name + ": label \"" + label_names[i] + "\" twice");
    }
  }
  common::MutexLock lock(&mu_);
  for (const auto& e : entries_) {
    if (e->name == name) Die("metric \"" + name + "\" registered twice");
  }
  entries_.push_back(std::move(entry));
}

std::unique_ptr<Registry::Entry> Registry::NewEntry(const std::string& name,
                                                    const std::string& help) {
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  return e;
}

Family<Counter>& Registry::AddCounterFamily(const std::string& name, const std::string& help,
                                            std::vector<std::string> label_names) {
  auto e = NewEntry(name, help);
  e->counters.reset(new Family<Counter>(name, help, label_names,
                                        [] { return std::make_unique<Counter>(); }));
  Family<Counter>& family = *e->counters;
  AddEntry(std::move(e), "counter", label_names);
  return family;
}

Counter& Registry::AddCounter(const std::string& name, const std::string& help) {
  return AddCounterFamily(name, help, {}).WithLabels({});
}

Family<Gauge>& Registry::AddGaugeFamily(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names) {
  auto e = NewEntry(name, help);
  e->gauges.reset(new Family<Gauge>(name, help, label_names,
                                    [] { return std::make_unique<Gauge>(); }));
  Family<Gauge>& family = *e->gauges;
  AddEntry(std::move(e), "gauge", label_names);
  return family;
}

Gauge& Registry::AddGauge(const std::string& name, const std::string& help) {
  return AddGaugeFamily(name, help, {}).WithLabels({});
}

void Registry::AddGaugeFunction(const std::string& name, const std::string& help,
                                std::function<double()> fn) {
  if (!fn) Die(name + ": empty gauge function");
  auto e = NewEntry(name, help);
  e->fn = std::move(fn);
  AddEntry(std::move(e), "gauge", {});
}

Family<Histogram>& Registry::AddHistogramFamily(const std::string& name, const std::string& help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> bounds) {
  Histogram probe(bounds);  // validates the bounds before anything is registered
  auto e = NewEntry(name, help);
  e->histograms.reset(new Family<Histogram>(name, help, label_names, [bounds] {
    return std::make_unique<Histogram>(bounds);
  }));
  Family<Histogram>& family = *e->histograms;
  AddEntry(std::move(e), "histogram", label_names);
  return family;
}

Histogram& Registry::AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<double> bounds) {
  return AddHistogramFamily(name, help, {}, std::move(bounds)).WithLabels({});
}

std::string Registry::Render() const {
  std::string out;
  common::MutexLock lock(&mu_);
  for (const auto& e : entries_) {
    if (e->counters) {
      e->counters->Render(&out);
    } else if (e->gauges) {
      e->gauges->Render(&out);
    } else if (e->histograms) {
      e->histograms->Render(&out);
    } else if (e->fn) {
      AppendHeader(e->name, e->help, "gauge", &out);
      out += e->name + ' ';
      AppendNumber(e->fn(), &out);
      out += '\n';
    }
  }
  return out;
}

}  // namespace foryou::server
