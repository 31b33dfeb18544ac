// cpp-httplib (Debian 0.11.4, compiled library) benchmark server: GET /x.
// argv: PORT WORK_US THREADS [KEEPALIVE_MAX [BACKLOG]]. A pool thread serves one connection for
// its whole keep-alive life, so THREADS bounds the connections served at once. httplib 0.11
// listens with a backlog of 5; BACKLOG != 5 re-listens on the bound socket with a larger one
// (Linux updates the backlog of a listening socket on a second listen()).
#include <httplib.h>
#include <sys/socket.h>

#include <cstdio>

#include "work.h"

int main(int argc, char** argv) {
  bench::Args args = bench::ParseArgs(argc, argv);
  const size_t keepalive_max = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 1000;
  const int backlog = argc > 5 ? std::atoi(argv[5]) : 1024;
  const int64_t iters = bench::CalibrateIters(args.work_us);
  httplib::Server svr;
  const size_t threads = args.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_keep_alive_max_count(keepalive_max);
  svr.set_keep_alive_timeout(5);
  svr.set_tcp_nodelay(true);
  svr.Get("/x", [iters](const httplib::Request&, httplib::Response& res) {
    res.set_content(bench::Body(bench::Spin(iters)), "application/json");
  });
  int listen_fd = -1;
  svr.set_socket_options([&listen_fd](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd = sock;
  });
  if (!svr.bind_to_port("127.0.0.1", args.port)) return 1;
  if (backlog != 5 && ::listen(listen_fd, backlog) != 0) return 1;
  std::fprintf(stderr, "httplib port=%d work_us=%lld threads=%d keepalive_max=%zu backlog=%d\n",
               args.port, static_cast<long long>(args.work_us), args.threads, keepalive_max,
               backlog);
  return svr.listen_after_bind() ? 0 : 1;
}
