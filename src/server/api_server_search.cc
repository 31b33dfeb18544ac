// ApiServer route of search: GET /v1/search, public (no key, no session), per-address rate
// limited (docs/api.md "Search"; the index: docs/design/search.md).
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "common/utf8.h"
#include "server/api_handlers.h"
#include "server/api_server.h"
#include "server/http_status.h"

namespace foryou::server {
namespace {

constexpr size_t kMaxQueryBytes = 200;
constexpr int kMaxOffset = 1000;

}  // namespace

void ApiServer::SearchRoutes() {
  http_->Get("/v1/search", Route("/v1/search", std::nullopt, [this](const auto& req, auto& res) {
    int64_t retry_ms = 0;
    if (!address_limiter_.Allow(req.remote_addr, &retry_ms)) {
      res.set_header("Retry-After", std::to_string((retry_ms + 999) / 1000));
      return SendError(res, absl::ResourceExhaustedError(
                                "rate limit exceeded for this client address"));
    }
    const std::string q = req.get_param_value("q");
    if (absl::StripAsciiWhitespace(q).empty()) {
      return SendError(res, absl::InvalidArgumentError("q: required (the text to search for)"));
    }
    if (q.size() > kMaxQueryBytes) {
      return SendError(res, absl::InvalidArgumentError(
                                absl::StrCat("q: at most ", kMaxQueryBytes, " bytes")));
    }
    if (common::InvalidUtf8At(q) != std::string_view::npos) {
      return SendError(res, absl::InvalidArgumentError("q: not valid UTF-8"));
    }
    search::SearchType type = search::SearchType::kVideos;
    if (req.has_param("type") && !search::ParseSearchType(req.get_param_value("type"), &type)) {
      return SendError(res, absl::InvalidArgumentError(
                                "type: one of videos, creators, sounds, hashtags"));
    }
    absl::StatusOr<int> count = IntParam(req, "count", 20, 1, 100);
    if (!count.ok()) return SendError(res, count.status());
    int offset = 0;
    if (req.has_param("cursor") && !req.get_param_value("cursor").empty()) {
      absl::StatusOr<int> o = search::DecodeCursor(req.get_param_value("cursor"), kMaxOffset);
      if (!o.ok()) return SendError(res, o.status());
      offset = *o;
    }
    if (deps_.search == nullptr) {
      return SendError(res, absl::UnavailableError("search is not enabled on this server"));
    }
    absl::StatusOr<search::SearchPage> page = deps_.search->Search(q, type, offset, *count);
    if (!page.ok()) return SendError(res, page.status());
    json results = json::array();
    for (const search::SearchResult& r : page->results) {
      switch (type) {
        case search::SearchType::kVideos: {
          // The catalog has the last word: a video whose moderation changed a moment ago is
          // not shown even if its index update is still on its way.
          absl::StatusOr<catalog::Video> v = deps_.store->GetVideo(r.id);
          if (!v.ok() || v->moderation != catalog::Moderation::kApproved) continue;
          results.push_back(catalog::ToJson(*v));
          break;
        }
        case search::SearchType::kCreators: {
          // The profile's picture when the creator is a user who set one.
          json avatar = nullptr;
          if (deps_.social != nullptr) {
            absl::StatusOr<social::Profile> p = deps_.social->GetProfile(r.id);
            if (p.ok() && !p->avatar_type.empty()) avatar = absl::StrCat("/v1/users/", r.id, "/avatar");
          }
          results.push_back(
              {{"id", r.id}, {"name", r.name}, {"avatar", avatar}, {"followers", r.count}});
          break;
        }
        case search::SearchType::kSounds: {
          // Whether a post can use it ("use this sound" needs an audio file).
          json audio_url = nullptr;
          absl::StatusOr<catalog::Sound> sound = deps_.store->GetSound(r.id);
          if (sound.ok() && !sound->audio_url.empty()) audio_url = sound->audio_url;
          results.push_back(
              {{"id", r.id}, {"title", r.name}, {"videos", r.count}, {"audio_url", audio_url}});
          break;
        }
        case search::SearchType::kHashtags:
          results.push_back({{"name", r.id}, {"videos", r.count}});
          break;
      }
    }
    if (type == search::SearchType::kVideos) {
      // Counts as on every video object (likes, comments, shares, views, favorites).
      json items = json::array();
      for (const json& v : results) items.push_back({{"video", v["id"]}, {"creator", v["creator"]}});
      AddSocialFields(&items, "");
      for (size_t i = 0; i < results.size(); ++i) {
        if (items[i].contains("counts")) results[i]["counts"] = items[i]["counts"];
      }
    }
    const int next = offset + *count;
    json next_cursor = page->more && next <= kMaxOffset ? json(search::EncodeCursor(next))
                                                        : json(nullptr);
    SendJson(res, 200, {{"type", std::string(search::SearchTypeName(type))},
                        {"results", std::move(results)},
                        {"next_cursor", std::move(next_cursor)}});
  }));
}

}  // namespace foryou::server
