// `foryou serve`: opens the Engine on a data directory, starts the HTTP API and runs until
// SIGINT / SIGTERM, then stops cleanly (trainer stopped, a final snapshot written).
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "server/api_server.h"
#include "server/engine.h"

namespace foryou::server {

struct ServeOptions {
  EngineOptions engine;
  ServerOptions server;
  // API keys file (docs/api.md, "Keys"). "" = <data_dir>/keys.json, generated with one app and
  // one admin key on first start.
  std::string keys_path;
  std::string feed_config_path;  // JSON of feed options ("" = defaults)
  // JSON of moderation options: banned terms, media policy, reports threshold ("" = defaults;
  // docs/design/moderation.md, "Knobs").
  std::string moderation_config_path;
};

// Runs until a signal. `out` gets the URLs and keys, first the two lines
//   foryou: player    http://HOST:PORT/#key=<first app key>
//   foryou: dashboard http://HOST:PORT/dashboard#key=<first admin key>
// `log` gets progress and errors. Without options.server.static_dir, ./web/dist is served when
// ./web/dist/index.html exists.
[[nodiscard]] absl::Status Serve(ServeOptions options, std::ostream& out, std::ostream& log);

}  // namespace foryou::server
