// ApiServer: who may read the files of a processed upload at /media/<video>/<file>
// (docs/design/server.md, "Media"). A video shown to everyone (approved or limited) is public;
// one pending, removed or under review only to its creator and to moderators and admins, so a
// leaked URL of a refused or unreviewed video shows nothing. The answer to anyone else is the
// 404 of a missing file: it does not tell that the video exists. Files of --media-dir (the
// imported catalog) are another mount, always public.
#include "server/api_server.h"  // first: see api_handlers.h

#include <iostream>
#include <string>

#include "server/social_json.h"

namespace foryou::server {

bool ApiServer::MayReadMedia(const HttpRequest& req, std::string_view rest, HttpResponse& res) {
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;  // not <video>/<file>
  // One catalog read; the credential is checked only for a video not shown to everyone.
  absl::StatusOr<catalog::Video> video = deps_.store->GetVideo(rest.substr(0, slash));
  if (!video.ok() && !absl::IsNotFound(video.status())) {
    std::cerr << "foryou serve: /media/: " << video.status() << "\n";
    return false;
  }
  if (video.ok() && (video->moderation == catalog::Moderation::kApproved ||
                     video->moderation == catalog::Moderation::kLimited)) {
    res.set_header("Cache-Control", "public, max-age=3600");
    return true;
  }
  // Files of a video the catalog does not know (any more) are for moderators only.
  const std::optional<Caller> caller = Identify(req);
  if (!caller.has_value()) return false;
  const bool creator = video.ok() && caller->session.has_value() &&
                       caller->session->account.handle == video->creator;
  if (!creator && !IsModerator(*caller)) return false;
  // Never in a shared cache, and not kept by the browser past this answer.
  res.set_header("Cache-Control", "private, no-store");
  return true;
}

}  // namespace foryou::server
