// `foryou media match A B`: whether video B duplicates video A by their perceptual frame
// hashes (src/moderation/duplicate_index.h, docs/design/moderation_dedup.md).
#pragma once

#include "CLI/CLI.hpp"

namespace foryou::app {

// Adds `match` to the `media` subcommand group; a bad input sets *exit_code to 2.
void AddMediaMatchCommand(CLI::App* media, int* exit_code);

}  // namespace foryou::app
