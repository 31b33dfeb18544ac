// `foryou log dump --data-dir D`: opens D/log (the server's event log; the server must not be
// running: the log's lock refuses a second open) and prints each record as
//   {"offset":N,"append_time_ms":T,"event":{...}}
// or, for a record that does not decode, {"offset":N,"error":"..."}. Opening recovers the log
// as the server would (a torn tail is cut), so run it only on a log whose server has stopped.
#include "apps/foryou/log_command.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "stream/event.h"
#include "stream/event_log.h"

namespace foryou::app {

void AddLogCommand(CLI::App& app, int* exit_code) {
  CLI::App* log = app.add_subcommand("log", "Read a data directory's event log");
  log->require_subcommand(1);
  CLI::App* dump = log->add_subcommand("dump", "Print every record as one JSON line");
  static std::string data_dir;
  dump->add_option("--data-dir", data_dir, "Data directory of a stopped `foryou serve`")
      ->required();
  dump->callback([exit_code] {
    stream::LogOptions options;
    options.dir = data_dir + "/log";
    options.fsync = stream::FsyncPolicy::kNever;  // read only
    absl::StatusOr<std::unique_ptr<stream::FileEventLog>> opened =
        stream::FileEventLog::Open(options);
    if (!opened.ok()) {
      std::cerr << "foryou log dump: " << opened.status() << "\n";
      *exit_code = 1;
      return;
    }
    stream::FileEventLog& l = **opened;
    std::vector<stream::LogRecord> records;
    for (uint64_t offset = l.StartOffset(); offset < l.EndOffset();) {
      if (absl::Status s = l.Read(offset, 1024, &records); !s.ok()) {
        std::cerr << "foryou log dump: " << s << "\n";
        *exit_code = 1;
        return;
      }
      for (const stream::LogRecord& r : records) {
        absl::StatusOr<stream::Event> e = stream::DecodeEvent(r.payload);
        nlohmann::json line = {{"offset", r.offset}, {"append_time_ms", r.append_time_ms}};
        if (e.ok()) {
          line["event"] = nlohmann::json::parse(stream::EventToJson(*e));
        } else {
          line["error"] = std::string(e.status().message());
        }
        std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      }
      offset = records.empty() ? l.EndOffset() : records.back().offset + 1;
    }
    std::cout.flush();
  });
}

}  // namespace foryou::app
