// SearchIndex: the Xapian documents of the catalog, kept current by catalog changes and
// periodic popularity refreshes; searches on a pool of reopened readers (see the header).
#include "search/search_index.h"

#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace foryou::search {
namespace {

// HOW A DOCUMENT LOOKS
// Terms: the words of its text (TermGenerator, English stems as Z-prefixed extra terms, CJK as
// n-grams), a type term ("XTv" video, "XTc" creator, "XTs" sound, "XTh" hashtag) the query is
// filtered on, and a unique id term ("Q" + type letter + id) that replace / delete find it by.
// Value slot 0: the popularity weight (sortable_serialise), added to the text score through a
// ValueWeightPostingSource. Data: "id\ncount\nname".
constexpr Xapian::valueno kPopularitySlot = 0;
constexpr int kMaxCount = 100;
constexpr size_t kMaxPooledReaders = 32;

char Letter(SearchType type) {
  switch (type) {
    case SearchType::kVideos: return 'v';
    case SearchType::kCreators: return 'c';
    case SearchType::kSounds: return 's';
    case SearchType::kHashtags: return 'h';
  }
  return 'v';
}
std::string TypeTerm(SearchType type) { return absl::StrCat("XT", std::string(1, Letter(type))); }
std::string IdTerm(SearchType type, std::string_view id) {
  return absl::StrCat("Q", std::string(1, Letter(type)), absl::string_view(id.data(), id.size()));
}

Xapian::TermGenerator MakeTermGenerator() {
  Xapian::TermGenerator tg;
  tg.set_stemmer(Xapian::Stem("english"));
  tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
  tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
  return tg;
}

absl::Status FromXapian(const Xapian::Error& e, std::string_view what) {
  return absl::UnavailableError(absl::StrCat("search index: ", std::string(what), ": ", e.get_description()));
}

bool Visible(const catalog::Video& v) { return v.moderation == catalog::Moderation::kApproved; }

}  // namespace

std::string_view SearchTypeName(SearchType type) {
  switch (type) {
    case SearchType::kVideos: return "videos";
    case SearchType::kCreators: return "creators";
    case SearchType::kSounds: return "sounds";
    case SearchType::kHashtags: return "hashtags";
  }
  return "videos";
}

bool ParseSearchType(std::string_view name, SearchType* out) {
  for (SearchType t : {SearchType::kVideos, SearchType::kCreators, SearchType::kSounds,
                       SearchType::kHashtags}) {
    if (name == SearchTypeName(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

std::string EncodeCursor(int offset) {
  return absl::WebSafeBase64Escape(absl::StrCat("search:", offset));
}

absl::StatusOr<int> DecodeCursor(std::string_view cursor, int max_offset) {
  std::string raw;
  int offset = 0;
  if (!absl::WebSafeBase64Unescape(absl::string_view(cursor.data(), cursor.size()), &raw) ||
      raw.rfind("search:", 0) != 0 || !absl::SimpleAtoi(raw.substr(7), &offset) || offset < 0 ||
      offset > max_offset) {
    return absl::InvalidArgumentError("cursor: not a cursor this search returned");
  }
  return offset;
}

// ---- The writer side ----

struct SearchIndex::Reader {
  Xapian::Database db;
  uint64_t generation = 0;
};

// Everything the writer owns, used under write_mu_ only.
struct SearchIndex::State {
  const SearchIndex* index;
  Xapian::WritableDatabase db;
  Xapian::TermGenerator tg = MakeTermGenerator();
  absl::flat_hash_map<std::string, VideoInfo> videos;  // the indexed (approved) videos
  absl::flat_hash_map<std::string, uint64_t> creator_videos, sound_videos, tag_videos;
  absl::flat_hash_map<std::string, std::vector<std::string>> following;  // user -> creators
  absl::flat_hash_map<std::string, uint64_t> followers;                  // creator -> users
  absl::flat_hash_map<std::string, std::string> creator_names, sound_titles;
  bool building = false;  // Build() runs: every record is new
  // What the current Apply must rewrite.
  absl::flat_hash_set<std::string> dirty_creators, dirty_sounds, dirty_tags;

  const catalog::CatalogStore& store() const { return *index->store_; }

  std::string CreatorName(const std::string& id) {
    auto it = creator_names.find(id);
    if (it != creator_names.end()) return it->second;
    absl::StatusOr<catalog::Creator> c = store().GetCreator(id);
    std::string name = c.ok() ? c->name : id;
    creator_names.emplace(id, name);
    return name;
  }
  std::string SoundTitle(const std::string& id) {
    auto it = sound_titles.find(id);
    if (it != sound_titles.end()) return it->second;
    absl::StatusOr<catalog::Sound> s = store().GetSound(id);
    std::string title = s.ok() ? s->title : "";
    sound_titles.emplace(id, title);
    return title;
  }

  void Put(SearchType type, const std::string& id, Xapian::Document& doc, double weight) {
    const std::string term = IdTerm(type, id);
    doc.add_boolean_term(TypeTerm(type));
    doc.add_boolean_term(term);
    doc.add_value(kPopularitySlot, Xapian::sortable_serialise(weight));
    // A build adds each record once to an empty database: no lookup of the id term needed.
    if (building) {
      db.add_document(doc);
    } else {
      db.replace_document(term, doc);
    }
  }

  void Count(const VideoInfo& v, int delta) {
    auto bump = [&](absl::flat_hash_map<std::string, uint64_t>& m, const std::string& k) {
      uint64_t& n = m[k];
      n = delta > 0 ? n + 1 : (n > 0 ? n - 1 : 0);
      if (n == 0) m.erase(k);
    };
    bump(creator_videos, v.creator);
    dirty_creators.insert(v.creator);
    if (!v.sound.empty()) {
      bump(sound_videos, v.sound);
      dirty_sounds.insert(v.sound);
    }
    for (const std::string& t : v.hashtags) {
      bump(tag_videos, t);
      dirty_tags.insert(t);
    }
  }

  void WriteVideo(const catalog::Video& v, double weight) {
    Xapian::Document doc;
    tg.set_document(doc);
    tg.index_text(v.caption);
    for (const std::string& t : v.hashtags) {
      tg.increase_termpos();
      tg.index_text(t);
    }
    tg.increase_termpos();
    tg.index_text(CreatorName(v.creator));
    if (!v.sound.empty()) {
      tg.increase_termpos();
      tg.index_text(SoundTitle(v.sound));
    }
    doc.set_data(v.id);
    Put(SearchType::kVideos, v.id, doc, weight);
  }

  // Indexes, re-indexes or drops video `id` as the store now holds it.
  absl::Status ApplyVideo(const std::string& id) {
    absl::StatusOr<catalog::Video> v = store().GetVideo(id);
    if (!v.ok() && !absl::IsNotFound(v.status())) return v.status();
    auto old = videos.find(id);
    double weight = 0;
    if (old != videos.end()) {
      weight = old->second.weight;
      Count(old->second, -1);
      videos.erase(old);
    }
    if (!v.ok() || !Visible(*v)) {
      db.delete_document(IdTerm(SearchType::kVideos, id));
      return absl::OkStatus();
    }
    std::vector<std::string> tags = v->hashtags;
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    VideoInfo info{.creator = v->creator, .sound = v->sound, .hashtags = std::move(tags),
                   .weight = weight};
    Count(info, +1);
    videos[id] = std::move(info);
    WriteVideo(*v, weight);
    return absl::OkStatus();
  }

  // Moves the user's follows to the creators they now follow (none if deleted).
  absl::Status ApplyUser(const std::string& id) {
    absl::StatusOr<catalog::User> u = store().GetUser(id);
    if (!u.ok() && !absl::IsNotFound(u.status())) return u.status();
    SetFollowing(id, u.ok() ? &*u : nullptr);
    return absl::OkStatus();
  }
  void SetFollowing(const std::string& id, const catalog::User* u) {
    if (auto it = following.find(id); it != following.end()) {
      for (const std::string& c : it->second) {
        if (auto f = followers.find(c); f != followers.end() && --f->second == 0) followers.erase(f);
        dirty_creators.insert(c);
      }
      following.erase(it);
    }
    if (u != nullptr && !u->following.empty()) {
      std::vector<std::string> f = u->following;
      std::sort(f.begin(), f.end());
      f.erase(std::unique(f.begin(), f.end()), f.end());
      for (const std::string& c : f) {
        ++followers[c];
        dirty_creators.insert(c);
      }
      following[id] = std::move(f);
    }
  }

  // A renamed creator or sound: its own document and its videos' text change.
  absl::Status ApplyRename(const std::string& id, bool creator) {
    auto& cache = creator ? creator_names : sound_titles;
    std::string now;
    if (creator) {
      absl::StatusOr<catalog::Creator> c = store().GetCreator(id);
      if (!c.ok()) return absl::IsNotFound(c.status()) ? absl::OkStatus() : c.status();
      now = c->name;
      dirty_creators.insert(id);
    } else {
      absl::StatusOr<catalog::Sound> s = store().GetSound(id);
      if (!s.ok()) return absl::IsNotFound(s.status()) ? absl::OkStatus() : s.status();
      now = s->title;
      dirty_sounds.insert(id);
    }
    auto it = cache.find(id);
    const bool renamed = it != cache.end() && it->second != now;
    cache[id] = now;
    if (!renamed) return absl::OkStatus();
    std::vector<std::string> ids;
    for (const auto& [vid, info] : videos) {
      if ((creator ? info.creator : info.sound) == id) ids.push_back(vid);
    }
    for (const std::string& vid : ids) FORYOU_RETURN_IF_ERROR(ApplyVideo(vid));
    return absl::OkStatus();
  }

  // Rewrites (or drops) the creator, sound and hashtag documents whose counts or names changed.
  void WriteDirty() {
    for (const std::string& id : dirty_creators) {
      auto n = creator_videos.find(id);
      if (n == creator_videos.end()) {
        db.delete_document(IdTerm(SearchType::kCreators, id));
        continue;
      }
      const uint64_t f = followers.contains(id) ? followers.at(id) : 0;
      const std::string name = CreatorName(id);
      Xapian::Document doc;
      tg.set_document(doc);
      tg.index_text(id);
      if (name != id) {
        tg.increase_termpos();
        tg.index_text(name);
      }
      doc.set_data(absl::StrCat(id, "\n", f, "\n", name));
      Put(SearchType::kCreators, id, doc, index->Weight(static_cast<double>(f)));
    }
    for (const std::string& id : dirty_sounds) {
      auto n = sound_videos.find(id);
      if (n == sound_videos.end()) {
        db.delete_document(IdTerm(SearchType::kSounds, id));
        continue;
      }
      const std::string title = SoundTitle(id);
      Xapian::Document doc;
      tg.set_document(doc);
      tg.index_text(id);
      tg.increase_termpos();
      tg.index_text(title);
      doc.set_data(absl::StrCat(id, "\n", n->second, "\n", title));
      Put(SearchType::kSounds, id, doc, index->Weight(static_cast<double>(n->second)));
    }
    for (const std::string& tag : dirty_tags) {
      auto n = tag_videos.find(tag);
      if (n == tag_videos.end()) {
        db.delete_document(IdTerm(SearchType::kHashtags, tag));
        continue;
      }
      Xapian::Document doc;
      tg.set_document(doc);
      tg.index_text(tag);
      doc.set_data(absl::StrCat(tag, "\n", n->second, "\n", tag));
      Put(SearchType::kHashtags, tag, doc, index->Weight(static_cast<double>(n->second)));
    }
    dirty_creators.clear();
    dirty_sounds.clear();
    dirty_tags.clear();
  }
};

SearchIndex::SearchIndex(SearchOptions options, const catalog::CatalogStore* store,
                         const Popularity* popularity)
    : options_(std::move(options)), store_(store), popularity_(popularity) {}

SearchIndex::~SearchIndex() {
  Stop();
  common::MutexLock lock(&write_mu_);
  if (state_ != nullptr) {
    try {
      state_->db.close();
    } catch (const Xapian::Error&) {
      // Nothing to keep: the next Open rebuilds the directory.
    }
  }
}

absl::StatusOr<std::unique_ptr<SearchIndex>> SearchIndex::Open(SearchOptions options,
                                                               const catalog::CatalogStore* store,
                                                               const Popularity* popularity) {
  if (options.dir.empty()) return absl::InvalidArgumentError("search: dir required");
  std::unique_ptr<SearchIndex> index(new SearchIndex(std::move(options), store, popularity));
  FORYOU_RETURN_IF_ERROR(index->Build());
  return index;
}

double SearchIndex::Weight(double popularity) const {
  const double x = std::log1p(std::max(0.0, popularity));
  const double half = std::log1p(std::max(0.0, options_.popularity_half));
  return half + x > 0 ? options_.popularity_boost * x / (x + half) : 0.0;
}

absl::Status SearchIndex::Build() {
  common::MutexLock lock(&write_mu_);
  std::error_code ec;
  std::filesystem::remove_all(options_.dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot remove ", options_.dir, ": ", ec.message()));
  auto state = std::make_unique<State>();
  state->index = this;
  try {
    // No fsync: the directory is rebuilt from the catalog at every start.
    state->db = Xapian::WritableDatabase(options_.dir,
                                         Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_SYNC);
  } catch (const Xapian::Error& e) {
    return FromXapian(e, options_.dir);
  }
  std::vector<catalog::Video> visible;
  FORYOU_RETURN_IF_ERROR(store_->ForEachVideo([&](const catalog::Video& v) {
    if (Visible(v)) visible.push_back(v);
  }));
  // One snapshot: no write can happen before the listener is attached (Engine::Open).
  FORYOU_RETURN_IF_ERROR(store_->ForEachUser(
      [&](const catalog::User& u) { state->SetFollowing(u.id, &u); }));
  std::vector<std::string> ids;
  ids.reserve(visible.size());
  for (const catalog::Video& v : visible) ids.push_back(v.id);
  std::vector<double> engagement(ids.size(), 0.0);
  if (popularity_ != nullptr && !ids.empty()) popularity_->VideoEngagement(ids, engagement.data());
  try {
    state->building = true;
    for (size_t i = 0; i < visible.size(); ++i) {
      const catalog::Video& v = visible[i];
      std::vector<std::string> tags = v.hashtags;
      std::sort(tags.begin(), tags.end());
      tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
      VideoInfo info{.creator = v.creator, .sound = v.sound, .hashtags = std::move(tags),
                     .weight = Weight(engagement[i])};
      state->Count(info, +1);
      state->WriteVideo(v, info.weight);
      state->videos[v.id] = std::move(info);
    }
    state->WriteDirty();
    state->building = false;
    state->db.commit();
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "build");
  }
  state_ = std::move(state);
  generation_.fetch_add(1);
  return absl::OkStatus();
}

absl::Status SearchIndex::Apply(const catalog::CatalogChange& change) {
  common::MutexLock lock(&write_mu_);
  State& s = *state_;
  try {
    absl::Status st;
    for (const std::string& id : change.creators) st.Update(s.ApplyRename(id, /*creator=*/true));
    for (const std::string& id : change.sounds) st.Update(s.ApplyRename(id, /*creator=*/false));
    for (const std::string& id : change.videos) st.Update(s.ApplyVideo(id));
    for (const std::string& id : change.users) st.Update(s.ApplyUser(id));
    s.WriteDirty();
    s.db.commit();
    generation_.fetch_add(1);
    return st;
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "apply");
  }
}

absl::Status SearchIndex::RefreshPopularity() {
  if (popularity_ == nullptr) return absl::OkStatus();
  common::MutexLock lock(&write_mu_);
  State& s = *state_;
  std::vector<std::string> ids;
  ids.reserve(s.videos.size());
  for (const auto& [id, info] : s.videos) ids.push_back(id);
  std::vector<double> engagement(ids.size(), 0.0);
  if (!ids.empty()) popularity_->VideoEngagement(ids, engagement.data());
  try {
    bool changed = false;
    for (size_t i = 0; i < ids.size(); ++i) {
      VideoInfo& info = s.videos.at(ids[i]);
      const double w = Weight(engagement[i]);
      // Small moves are not worth a document rewrite.
      if (std::abs(w - info.weight) < 0.01 * options_.popularity_boost) continue;
      info.weight = w;
      const std::string term = IdTerm(SearchType::kVideos, ids[i]);
      Xapian::PostingIterator p = s.db.postlist_begin(term);
      if (p == s.db.postlist_end(term)) continue;
      Xapian::Document doc = s.db.get_document(*p);
      doc.add_value(kPopularitySlot, Xapian::sortable_serialise(w));
      s.db.replace_document(*p, doc);
      changed = true;
    }
    if (changed) {
      s.db.commit();
      generation_.fetch_add(1);
    }
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "refresh");
  }
  return absl::OkStatus();
}

void SearchIndex::Start() {
  common::MutexLock lock(&thread_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void SearchIndex::Stop() {
  std::thread t;
  {
    common::MutexLock lock(&thread_mu_);
    stop_ = true;
    t = std::move(thread_);
  }
  wake_.SignalAll();
  if (t.joinable()) t.join();
}

void SearchIndex::Loop() {
  while (true) {
    {
      common::MutexLock lock(&thread_mu_);
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.refresh_ms);
      while (!stop_ && !wake_.WaitUntil(&thread_mu_, deadline)) {
      }
      if (stop_) return;
    }
    // An error leaves the old weights; the next round tries again.
    (void)RefreshPopularity();
  }
}

uint64_t SearchIndex::documents() const {
  common::MutexLock lock(&write_mu_);
  return state_ != nullptr ? state_->db.get_doccount() : 0;
}

// ---- The reader side ----

std::unique_ptr<SearchIndex::Reader> SearchIndex::TakeReader() const {
  {
    common::MutexLock lock(&pool_mu_);
    if (!pool_.empty()) {
      std::unique_ptr<Reader> r = std::move(pool_.back());
      pool_.pop_back();
      return r;
    }
  }
  auto r = std::make_unique<Reader>();
  r->generation = generation_.load();
  r->db = Xapian::Database(options_.dir);
  return r;
}

void SearchIndex::ReturnReader(std::unique_ptr<Reader> reader) const {
  common::MutexLock lock(&pool_mu_);
  if (pool_.size() < kMaxPooledReaders) pool_.push_back(std::move(reader));
}

absl::StatusOr<SearchPage> SearchIndex::Search(std::string_view query, SearchType type,
                                               int offset, int count) const {
  if (count < 1 || count > kMaxCount) {
    return absl::InvalidArgumentError(absl::StrCat("count: must be 1..", kMaxCount));
  }
  if (offset < 0 || offset > options_.max_offset) {
    return absl::InvalidArgumentError(absl::StrCat("offset: must be 0..", options_.max_offset));
  }
  // '#' and '@' mark hashtags and handles in what people type; the index holds the bare words.
  std::string text(query);
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '#' || c == '@'; }, ' ');
  // A concurrent commit may recycle blocks an open reader still needs (DatabaseModifiedError):
  // reopen and run again.
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Reader> reader;
    try {
      reader = TakeReader();
      const uint64_t generation = generation_.load();
      if (reader->generation != generation) {
        reader->db.reopen();
        reader->generation = generation;
      }
      // Every Xapian object that holds the reader's database (parser, enquire, match set) ends
      // before the reader goes back to the pool: their handles share a reference count that
      // is not atomic, so none may outlive this thread's hold on the reader.
      SearchPage page;
      [&] {
        Xapian::QueryParser qp;
        qp.set_stemmer(Xapian::Stem("english"));
        qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        qp.set_default_op(Xapian::Query::OP_AND);
        qp.set_max_expansion(options_.max_prefix_expansion,
                             Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
                             Xapian::QueryParser::FLAG_PARTIAL);
        qp.set_database(reader->db);
        Xapian::Query words = qp.parse_query(
            text, Xapian::QueryParser::FLAG_PARTIAL | Xapian::QueryParser::FLAG_CJK_NGRAM);
        if (words.empty()) return;
        Xapian::Query q(Xapian::Query::OP_FILTER, words, Xapian::Query(TypeTerm(type)));
        q = Xapian::Query(
            Xapian::Query::OP_AND_MAYBE, q,
            Xapian::Query((new Xapian::ValueWeightPostingSource(kPopularitySlot))->release()));
        Xapian::Enquire enquire(reader->db);
        enquire.set_query(q);
        Xapian::MSet mset = enquire.get_mset(offset, count + 1);
        for (auto it = mset.begin(); it != mset.end(); ++it) {
          if (static_cast<int>(page.results.size()) == count) {
            page.more = true;
            break;
          }
          const std::string data = it.get_document().get_data();
          std::vector<std::string> f = absl::StrSplit(data, absl::MaxSplits('\n', 2));
          SearchResult r;
          r.id = f[0];
          if (f.size() == 3) {
            (void)absl::SimpleAtoi(f[1], &r.count);
            r.name = f[2];
          }
          page.results.push_back(std::move(r));
        }
      }();
      ReturnReader(std::move(reader));
      return page;
    } catch (const Xapian::DatabaseModifiedError& e) {
      if (attempt >= 3) return FromXapian(e, "search");
      if (reader != nullptr) reader->generation = 0;  // reopen on the next attempt
      if (reader != nullptr) ReturnReader(std::move(reader));
    } catch (const Xapian::QueryParserError& e) {
      return absl::InvalidArgumentError(absl::StrCat("q: ", e.get_msg()));
    } catch (const Xapian::Error& e) {
      return FromXapian(e, "search");
    }
  }
}

}  // namespace foryou::search
