// ApiServer routes of hashtag challenges (docs/api.md, "Challenges"; design:
// docs/design/challenges.md): create and edit (admin), the active list and a challenge's page
// of entries (public).
//
// Entries are the approved videos carrying the challenge's hashtag, read from the feed's
// in-memory index, ranked by the feed's decayed engagement among everyone (the trending score:
// plays, likes, shares, comments... with a 6 h half-life). Not the social counts: those are
// all-time totals that keep the first popular entries on top for the whole challenge, and the
// social store is optional; the decayed score says what is taking off now and is what the
// challenge feed source ranks by too.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "catalog/challenge.h"
#include "common/id_key.h"
#include "server/api_handlers.h"
#include "server/api_server.h"
#include "server/http_status.h"

namespace foryou::server {
namespace {

// The approved entries of the challenge `name` in `index`, newest first.
std::vector<const feed::VideoEntry*> EntriesOf(const feed::VideoIndex::Snapshot& index,
                                               std::string_view name) {
  std::vector<const feed::VideoEntry*> out;
  auto it = index.by_hashtag.find(feed::AttributeKey(name));
  if (it == index.by_hashtag.end()) return out;
  for (uint32_t i : it->second) {
    const feed::VideoEntry* e = index.all[i].get();
    if (e->video.moderation == catalog::Moderation::kApproved) out.push_back(e);
  }
  return out;
}

json ChallengeJson(const catalog::Challenge& c, int64_t now_ms, size_t entries) {
  json out = catalog::ToJson(c);
  out["active"] = c.ActiveAt(now_ms);
  out["entries"] = entries;
  return out;
}

}  // namespace

void ApiServer::ChallengeRoutes() {
  HttpServer& s = *http_;
  s.Post("/v1/challenges",
         Route("/v1/challenges", Role::kAdmin, [this](const auto& req, auto& res) {
           absl::StatusOr<json> body = ParseBody(req);
           if (!body.ok()) return SendError(res, body.status());
           absl::StatusOr<catalog::Challenge> c = catalog::ChallengeFromJson(*body, Now());
           if (!c.ok()) return SendError(res, c.status());
           if (absl::Status st = deps_.feed->CreateChallenge(*c); !st.ok())
             return SendError(res, st);
           SendJson(res, 201, catalog::ToJson(*c));
         }));
  s.Patch(R"(/v1/challenges/([^/]+))",
          Route("/v1/challenges/NAME", Role::kAdmin, [this](const auto& req, auto& res) {
            absl::StatusOr<json> body = ParseBody(req);
            if (!body.ok()) return SendError(res, body.status());
            absl::StatusOr<catalog::Challenge> c = deps_.store->GetChallenge(req.matches[1].str());
            if (!c.ok()) return SendError(res, c.status());
            if (absl::Status st = catalog::ApplyChallengePatch(*body, &*c); !st.ok()) {
              return SendError(res, st);
            }
            if (absl::Status st = deps_.feed->UpdateChallenge(*c); !st.ok())
              return SendError(res, st);
            SendJson(res, 200, catalog::ToJson(*c));
          }));
  s.Get("/v1/challenges",
        PublicRoute("/v1/challenges", [this](const auto& req, auto& res, const Caller&) {
          const std::string active = req.get_param_value("active");
          if (!active.empty() && active != "0" && active != "1") {
            return SendError(res, absl::InvalidArgumentError("active: must be 0 or 1"));
          }
          const int64_t now = Now();
          auto index = deps_.feed->index();
          json list = json::array();
          for (const catalog::Challenge& c : *deps_.feed->Challenges()) {
            if (active == "1" && !c.ActiveAt(now)) continue;
            list.push_back(ChallengeJson(c, now, EntriesOf(*index, c.name).size()));
          }
          SendJson(res, 200, {{"challenges", std::move(list)}});
        }));
  s.Get(R"(/v1/challenges/([^/]+))",
        PublicRoute("/v1/challenges/NAME", [this](const auto& req, auto& res, const Caller&) {
          absl::StatusOr<int> limit = IntParam(req, "limit", 30, 1, 200);
          if (!limit.ok()) return SendError(res, limit.status());
          size_t offset = 0;
          if (const std::string cursor = req.get_param_value("cursor"); !cursor.empty()) {
            uint64_t n = 0;
            if (!absl::SimpleAtoi(cursor, &n) || n > 1'000'000) {
              return SendError(res, absl::InvalidArgumentError(
                                        "cursor: not a cursor this route returned (next_cursor)"));
            }
            offset = static_cast<size_t>(n);
          }
          absl::StatusOr<catalog::Challenge> c = deps_.store->GetChallenge(req.matches[1].str());
          if (!c.ok()) return SendError(res, c.status());
          const int64_t now = Now();
          auto index = deps_.feed->index();
          const std::vector<const feed::VideoEntry*> entries = EntriesOf(*index, c->name);
          std::vector<std::pair<double, const feed::VideoEntry*>> ranked;
          ranked.reserve(entries.size());
          for (const feed::VideoEntry* e : entries) {
            ranked.emplace_back(deps_.feed->engagement().Score("*", e->proto.video_key, now), e);
          }
          // Ties (no engagement yet): newest first, the index's order.
          std::stable_sort(ranked.begin(), ranked.end(),
                           [](const auto& a, const auto& b) { return a.first > b.first; });
          json videos = json::array();
          const size_t end = std::min(ranked.size(), offset + static_cast<size_t>(*limit));
          for (size_t i = offset; i < end; ++i) {
            json v = catalog::ToJson(ranked[i].second->video);
            v["engagement"] = ranked[i].first;
            videos.push_back(std::move(v));
          }
          json out = ChallengeJson(*c, now, entries.size());
          out["videos"] = std::move(videos);
          out["next_cursor"] = end < ranked.size() ? std::to_string(end) : "";
          SendJson(res, 200, out);
        }));
}

}  // namespace foryou::server
