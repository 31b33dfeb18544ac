// `media_worker JOB.json RESULT.json`: media::RunMediaJob alone, the body of
// `foryou media-worker` without the rest of the binary, for bench/transcode.sh.
#include <cstdio>

extern "C" {
#include <libavutil/log.h>
}

#include "media/media_job.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: media_worker JOB.json RESULT.json\n");
    return foryou::media::kWorkerFailed;
  }
  av_log_set_level(AV_LOG_ERROR);
  return foryou::media::RunMediaJob(argv[1], argv[2]);
}
