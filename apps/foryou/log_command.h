// `foryou log dump`: prints an event log's records, one JSON line each, for inspection and for
// the HTTP kill test (bench/http_kill.sh), which checks every acknowledged event is logged once.
#pragma once

#include "CLI/CLI.hpp"

namespace foryou::app {

// Adds the `log` subcommand (and its `dump`) to `app`; a failure sets *exit_code.
void AddLogCommand(CLI::App& app, int* exit_code);

}  // namespace foryou::app
