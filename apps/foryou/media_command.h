// `foryou media probe|transcode` (a file at the command line) and `foryou media-worker` (the
// worker process the server runs for each upload, docs/formats/media_job.md).
#pragma once

#include "CLI/CLI.hpp"

namespace foryou::app {

// Adds `media` (with `probe` and `transcode`) and `media-worker` to `app`; returns the `media`
// command so other subcommands (`media match`) can be added beside them. A failure sets
// *exit_code: 2 for a refused or broken input, 1 otherwise.
CLI::App* AddMediaCommands(CLI::App& app, int* exit_code);

}  // namespace foryou::app
