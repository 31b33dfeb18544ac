// The billing ledger over the AdsStore's RocksDB (see ledger.h; keys in docs/formats/ads.md).
//
// HOW AN APPEND STAYS EXACTLY-ONCE AND WITHIN BUDGET
// Under mu_, Append checks the id (in the database and among appends still being written: a
// second append of an id waits for the first's outcome) and the budgets against the in-memory
// counters, then counts the charge at once and queues the entry's puts: the id index `e|<id>`,
// the entry, its touch index and every counter it moves, with the counter's value after it. So
// two charges on one budget are checked one after the other, the second against counters that
// include the first, even before the first is on disk.
//
// Group commit: the first appender to find no write in progress writes every queued entry as
// one synced WriteBatch, outside mu_; appends arriving meanwhile queue up for the next batch.
// One fsync serves many concurrent appends. An append returns only once its batch is durable.
// The write holds db_mu_ exclusively and the ledger's point reads hold it shared: RocksDB needs
// no such lock, but Debian's RocksDB is not built with ThreadSanitizer, which would otherwise
// see a read of the memtable racing the write. Appends arriving during a write wait for it at
// their duplicate check and then queue together for the next batch.
// A crash leaves each batch whole or absent (RocksDB's WAL), never an entry without its
// counters. A failed write undoes the counting of its batch and of everything queued behind it
// (their counter values were computed on top of it), and all of them return the error.
#include "ads/ledger.h"

#include <memory>

#include "ads/store_keys.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace foryou::ads {

using keys::BE;
using keys::FromBE;
using keys::FromRocks;
using keys::K;
using keys::Prefix;
using keys::V;
using nlohmann::json;

namespace {

constexpr absl::string_view kKinds[] = {"impression", "click", "view_2s", "view_6s",
                                       "conversion"};

std::string EntryJson(const LedgerEntry& e) {
  json j = {{"id", e.event_id},       {"kind", Name(e.kind)},    {"user", e.user},
            {"account", e.account},   {"campaign", e.campaign},  {"ad_group", e.ad_group},
            {"ad", e.ad},             {"time_ms", e.time_ms},    {"charge_micros", e.charge_micros},
            {"seq", e.seq}};
  if (e.kind == EventKind::kConversion) {
    j["type"] = e.conversion_type;
    j["value_micros"] = e.value_micros;
    j["attributed_to"] = e.attributed_to;
  }
  return j.dump();
}

absl::StatusOr<LedgerEntry> ParseEntry(absl::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::DataLossError("ads ledger: an entry is not a JSON object");
  LedgerEntry e;
  try {
    e.event_id = j.at("id").get<std::string>();
    const std::string kind = j.at("kind").get<std::string>();
    bool known = false;
    for (size_t i = 0; i < std::size(kKinds); ++i) {
      if (kKinds[i] == kind) {
        e.kind = static_cast<EventKind>(i);
        known = true;
      }
    }
    if (!known) return absl::DataLossError("ads ledger: entry of unknown kind " + kind);
    e.user = j.at("user").get<std::string>();
    e.account = j.at("account").get<std::string>();
    e.campaign = j.at("campaign").get<std::string>();
    e.ad_group = j.at("ad_group").get<std::string>();
    e.ad = j.at("ad").get<std::string>();
    e.time_ms = j.at("time_ms").get<int64_t>();
    e.charge_micros = j.at("charge_micros").get<int64_t>();
    e.seq = j.at("seq").get<uint64_t>();
    if (e.kind == EventKind::kConversion) {
      e.conversion_type = j.at("type").get<std::string>();
      e.value_micros = j.at("value_micros").get<int64_t>();
      e.attributed_to = j.at("attributed_to").get<std::string>();
    }
  } catch (const json::exception& ex) {
    return absl::DataLossError(absl::StrCat("ads ledger: bad entry: ", ex.what()));
  }
  return e;
}

// Touches sort newest first under `t|<user>|<group>|`.
std::string TouchKey(absl::string_view user, absl::string_view group, int64_t time_ms,
                     uint64_t seq) {
  return Prefix("t", user) + std::string(group) + '\0' + BE(~static_cast<uint64_t>(time_ms)) +
         BE(seq);
}

bool Fits(int64_t spent, int64_t charge, int64_t limit) {
  return limit == kNoLimit || (spent <= limit && charge <= limit - spent);
}

}  // namespace

absl::string_view Name(EventKind k) { return kKinds[static_cast<int>(k)]; }

EventKind GoalKind(Goal g) {
  switch (g) {
    case Goal::kImpression:
      return EventKind::kImpression;
    case Goal::kClick:
      return EventKind::kClick;
    case Goal::kView:
      return EventKind::kView6s;
    case Goal::kConversion:
      return EventKind::kConversion;
  }
  return EventKind::kImpression;
}

BudgetLimits LimitsOf(const Campaign& c, const AdGroup& g) {
  BudgetLimits l;
  if (c.budget_mode == BudgetMode::kDaily) l.campaign_daily = c.budget_micros;
  if (c.budget_mode == BudgetMode::kLifetime) l.campaign_lifetime = c.budget_micros;
  if (g.budget_mode == BudgetMode::kDaily) l.group_daily = g.budget_micros;
  if (g.budget_mode == BudgetMode::kLifetime) l.group_lifetime = g.budget_micros;
  return l;
}

Ledger::Ledger(AdsStore* store, bool sync) : store_(store), sync_(sync) {}

absl::Status Ledger::Load() {
  common::MutexLock lock(&mu_);
  counters_.clear();
  rocksdb::DB* db = store_->db();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  const std::string seq_key = "lseq";
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), seq_key, &value);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read lseq");
  next_seq_ = s.ok() ? FromBE(value) : 1;
  for (const char* tag : {"n", "sc", "scd", "sg", "sgd"}) {
    const std::string prefix = std::string(tag) + '\0';
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      counters_[it->key().ToString()] = static_cast<int64_t>(FromBE(V(it->value())));
    }
  }
  return FromRocks(it->status(), "scan counters");
}

void Ledger::DeltasOf(const LedgerEntry& e, std::vector<Delta>* out) const {
  const std::string day = BE(static_cast<uint64_t>(DayOf(e.time_ms)));
  if (e.charge_micros > 0) {
    out->push_back({K({"sg", e.ad_group}), e.charge_micros});
    out->push_back({K({"sgd", e.ad_group, day}), e.charge_micros});
    out->push_back({K({"sc", e.campaign}), e.charge_micros});
    out->push_back({K({"scd", e.campaign, day}), e.charge_micros});
  }
  if (e.kind != EventKind::kConversion || !e.attributed_to.empty()) {
    out->push_back({K({"n", e.ad_group, Name(e.kind)}), 1});
  }
}

int64_t Ledger::Counter(const std::string& key) const {
  auto it = counters_.find(key);
  return it == counters_.end() ? 0 : it->second;
}

absl::StatusOr<bool> Ledger::Append(LedgerEntry e, const BudgetLimits& limits) {
  for (const auto& [field, id] : {std::pair{"event_id", &e.event_id}, {"account", &e.account},
                                  {"campaign", &e.campaign}, {"ad_group", &e.ad_group},
                                  {"ad", &e.ad}}) {
    FORYOU_RETURN_IF_ERROR(ValidateId(absl::StrCat("ledger.", field), *id));
  }
  FORYOU_RETURN_IF_ERROR(ValidateUser("ledger.user", e.user));
  if (e.charge_micros < 0) return absl::InvalidArgumentError("ledger.charge_micros: must be >= 0");
  if (e.value_micros < 0) return absl::InvalidArgumentError("ledger.value_micros: must be >= 0");
  if (e.time_ms < 0) return absl::InvalidArgumentError("ledger.time_ms: must be >= 0");
  rocksdb::DB* db = store_->db();
  common::MutexLock lock(&mu_);
  // An append of the same id in a write not yet finished: its outcome decides this one's.
  while (pending_ids_.contains(e.event_id)) committed_.Wait(&mu_);
  std::string where;
  rocksdb::Status s;
  {
    common::ReaderLock db_lock(&db_mu_);
    s = db->Get(rocksdb::ReadOptions(), K({"e", e.event_id}), &where);
  }
  if (s.ok()) return false;
  if (!s.IsNotFound()) return FromRocks(s, "read");
  if (e.charge_micros > 0) {
    const std::string day = BE(static_cast<uint64_t>(DayOf(e.time_ms)));
    const int64_t c = e.charge_micros;
    if (!Fits(Counter(K({"sgd", e.ad_group, day})), c, limits.group_daily) ||
        !Fits(Counter(K({"sg", e.ad_group})), c, limits.group_lifetime) ||
        !Fits(Counter(K({"scd", e.campaign, day})), c, limits.campaign_daily) ||
        !Fits(Counter(K({"sc", e.campaign})), c, limits.campaign_lifetime)) {
      return absl::ResourceExhaustedError(
          absl::StrCat("ad group ", e.ad_group, ": a charge of ", c, " micros passes its budget"));
    }
  }
  e.seq = next_seq_++;
  auto p = std::make_shared<Pending>();
  p->event_id = e.event_id;
  DeltasOf(e, &p->deltas);
  const std::string entry_key = Prefix("l", e.account) + BE(e.seq);
  p->puts.emplace_back(K({"e", e.event_id}), entry_key);
  p->puts.emplace_back(entry_key, EntryJson(e));
  p->puts.emplace_back("lseq", BE(e.seq + 1));
  if (e.kind == EventKind::kImpression || e.kind == EventKind::kClick) {
    const char tag = e.kind == EventKind::kImpression ? 'i' : 'c';
    p->puts.emplace_back(TouchKey(e.user, e.ad_group, e.time_ms, e.seq),
                         std::string(1, tag) + e.event_id);
  }
  // Counted now, so the next append's budget check sees this charge; undone if the write fails.
  for (const Delta& d : p->deltas) {
    const int64_t after = (counters_[d.key] += d.amount);
    p->puts.emplace_back(d.key, BE(static_cast<uint64_t>(after)));
  }
  pending_ids_.insert(e.event_id);
  queue_.push_back(p);
  while (!p->done) {
    if (writing_) {
      committed_.Wait(&mu_);
      continue;
    }
    // Lead: write everything queued so far as one batch (one sync for all of them).
    writing_ = true;
    std::vector<std::shared_ptr<Pending>> group;
    group.swap(queue_);
    rocksdb::WriteBatch batch;
    for (const auto& q : group) {
      for (const auto& [k, v] : q->puts) batch.Put(k, v);
    }
    lock.Unlock();
    rocksdb::WriteOptions wo;
    wo.sync = sync_;
    absl::Status st;
    {
      common::WriterLock db_lock(&db_mu_);
      st = FromRocks(db->Write(wo, &batch), "append");
    }
    lock.Lock();
    if (!st.ok()) {
      // Entries queued meanwhile counted on top of this group: they fail with it.
      for (const auto& q : queue_) group.push_back(q);
      queue_.clear();
      for (const auto& q : group) {
        for (const Delta& d : q->deltas) counters_[d.key] -= d.amount;
      }
    }
    for (const auto& q : group) {
      q->done = true;
      q->status = st;
      pending_ids_.erase(q->event_id);
    }
    writing_ = false;
    committed_.SignalAll();
  }
  if (!p->status.ok()) return p->status;
  return true;
}

absl::StatusOr<LedgerEntry> Ledger::Find(absl::string_view event_id) const {
  rocksdb::DB* db = store_->db();
  common::ReaderLock db_lock(&db_mu_);
  std::string where, text;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), K({"e", event_id}), &where);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("event ", event_id, " not found"));
  FORYOU_RETURN_IF_ERROR(FromRocks(s, "read"));
  FORYOU_RETURN_IF_ERROR(FromRocks(db->Get(rocksdb::ReadOptions(), where, &text), "read entry"));
  return ParseEntry(text);
}

absl::StatusOr<LedgerEntry> Ledger::RecordConversion(const Conversion& c) {
  FORYOU_RETURN_IF_ERROR(ValidateId("conversion.event_id", c.event_id));
  if (c.type.empty() || c.type.size() > 64) {
    return absl::InvalidArgumentError("conversion.type: must be 1-64 bytes");
  }
  if (absl::StatusOr<LedgerEntry> seen = Find(c.event_id); seen.ok()) return seen;
  LedgerEntry e;
  e.event_id = c.event_id;
  e.kind = EventKind::kConversion;
  e.conversion_type = c.type;
  e.value_micros = c.value_micros;
  e.time_ms = c.time_ms;
  if (!c.click_id.empty()) {
    FORYOU_RETURN_IF_ERROR(ValidateId("conversion.click_id", c.click_id));
    FORYOU_ASSIGN_OR_RETURN(LedgerEntry click, Find(c.click_id));
    if (click.kind != EventKind::kClick && click.kind != EventKind::kImpression) {
      return absl::InvalidArgumentError(
          absl::StrCat("conversion.click_id: ", c.click_id, " is a ", Name(click.kind)));
    }
    e.user = click.user;
    e.ad = click.ad;
  } else {
    if (c.user.empty()) return absl::InvalidArgumentError("conversion: needs click_id or user");
    FORYOU_RETURN_IF_ERROR(ValidateId("conversion.ad", c.ad));
    e.user = c.user;
    e.ad = c.ad;
  }
  FORYOU_ASSIGN_OR_RETURN(Ad ad, store_->GetAd(e.ad));
  FORYOU_ASSIGN_OR_RETURN(AdGroup group, store_->GetAdGroup(ad.ad_group));
  FORYOU_ASSIGN_OR_RETURN(Campaign campaign, store_->GetCampaign(group.campaign));
  e.ad_group = group.id;
  e.campaign = campaign.id;
  e.account = campaign.account;
  // The newest touch of the user on the group at or before the conversion, if in the window.
  const std::string prefix = Prefix("t", e.user) + e.ad_group + '\0';
  {
    common::ReaderLock db_lock(&db_mu_);
    std::unique_ptr<rocksdb::Iterator> it(store_->db()->NewIterator(rocksdb::ReadOptions()));
    it->Seek(prefix + BE(~static_cast<uint64_t>(c.time_ms)));
    if (it->Valid() && it->key().starts_with(prefix)) {
      const int64_t touched =
          static_cast<int64_t>(~FromBE(V(it->key()).substr(prefix.size(), 8)));
      if (c.time_ms - touched <= group.attribution_window_hours * kHourMs) {
        e.attributed_to = it->value().ToString().substr(1);
      }
    }
    FORYOU_RETURN_IF_ERROR(FromRocks(it->status(), "scan touches"));
  }
  FORYOU_ASSIGN_OR_RETURN(bool added, Append(e, BudgetLimits{}));
  if (!added) return Find(c.event_id);  // a concurrent report of the same conversion won
  return Find(c.event_id);
}

absl::StatusOr<int64_t> Ledger::ImpressionsSince(absl::string_view user, absl::string_view ad_group,
                                                 int64_t since_ms, int64_t at_most) const {
  const std::string prefix = Prefix("t", user) + std::string(ad_group) + '\0';
  common::ReaderLock db_lock(&db_mu_);
  std::unique_ptr<rocksdb::Iterator> it(store_->db()->NewIterator(rocksdb::ReadOptions()));
  int64_t n = 0;
  for (it->Seek(prefix); n < at_most && it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const int64_t t = static_cast<int64_t>(~FromBE(V(it->key()).substr(prefix.size(), 8)));
    if (t < since_ms) break;
    if (!it->value().empty() && it->value()[0] == 'i') ++n;
  }
  FORYOU_RETURN_IF_ERROR(FromRocks(it->status(), "scan touches"));
  return n;
}

Spend Ledger::SpentOf(absl::string_view campaign, absl::string_view ad_group,
                      int64_t time_ms) const {
  const std::string day = BE(static_cast<uint64_t>(DayOf(time_ms)));
  common::MutexLock lock(&mu_);
  return Spend{Counter(K({"sgd", ad_group, day})), Counter(K({"sg", ad_group})),
               Counter(K({"scd", campaign, day})), Counter(K({"sc", campaign}))};
}

int64_t Ledger::Events(absl::string_view ad_group, EventKind kind) const {
  common::MutexLock lock(&mu_);
  return Counter(K({"n", ad_group, Name(kind)}));
}

absl::Status Ledger::ForEach(absl::string_view account,
                             const std::function<bool(const LedgerEntry&)>& fn) const {
  const std::string prefix = Prefix("l", account);
  std::unique_ptr<rocksdb::Iterator> it(store_->db()->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    FORYOU_ASSIGN_OR_RETURN(LedgerEntry e, ParseEntry(V(it->value())));
    if (!fn(e)) break;
  }
  return FromRocks(it->status(), "scan ledger");
}

}  // namespace foryou::ads
