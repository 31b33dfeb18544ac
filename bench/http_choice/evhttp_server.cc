// libevent 2.1 evhttp benchmark server: GET /x. argv: PORT WORK_US THREADS.
// THREADS event loops (one event_base + evhttp each) accept from one shared listening socket;
// a request's work runs on its loop, so it delays the other connections of that loop.
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <thread>
#include <vector>

#include "work.h"

static int64_t g_iters = 0;

static void Handle(evhttp_request* req, void*) {
  if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
    evhttp_send_error(req, 405, nullptr);
    return;
  }
  std::string body = bench::Body(bench::Spin(g_iters));
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, body.data(), body.size());
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
  evhttp_send_reply(req, 200, "OK", out);
  evbuffer_free(out);
}

int main(int argc, char** argv) {
  bench::Args args = bench::ParseArgs(argc, argv);
  g_iters = bench::CalibrateIters(args.work_us);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(args.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 1024) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  evutil_make_socket_nonblocking(fd);
  std::fprintf(stderr, "evhttp port=%d work_us=%lld threads=%d\n", args.port,
               static_cast<long long>(args.work_us), args.threads);
  std::vector<std::thread> loops;
  for (int t = 0; t < args.threads; ++t) {
    loops.emplace_back([fd] {
      event_base* base = event_base_new();
      evhttp* http = evhttp_new(base);
      evhttp_set_cb(http, "/x", Handle, nullptr);
      evhttp_accept_socket(http, fd);
      event_base_dispatch(base);
    });
  }
  for (auto& t : loops) t.join();
  close(fd);
}
