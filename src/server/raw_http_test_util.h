// What the HTTP transport's tests send over raw sockets (what an HTTP client library cannot
// send: pipelined requests in one write, partial requests, many connections from chosen local
// addresses) and how they read the answers back.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <string_view>

namespace foryou::server {

using Clock = std::chrono::steady_clock;

inline double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// A TCP connection to 127.0.0.1:port from `source` (any 127.x.y.z address is local on Linux).
inline int Connect(int port, const char* source = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads what arrives within `timeout_ms` into `out`: 1 = data, 0 = the peer closed, -1 = timeout
// or error.
inline int ReadSome(int fd, std::string* out, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return -1;
  char buf[65536];
  const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  if (n < 0) return errno == ECONNRESET ? 0 : -1;
  if (n == 0) return 0;
  out->append(buf, static_cast<size_t>(n));
  return 1;
}

struct RawReply {
  int status = 0;  // 0 = no complete answer
  std::string head;
  std::string body;
  std::string header(const std::string& name) const {
    const std::string key = "\r\n" + name + ": ";
    const size_t at = head.find(key);
    if (at == std::string::npos) return "";
    const size_t from = at + key.size();
    return head.substr(from, head.find("\r\n", from) - from);
  }
};

// One response from the bytes in `*pending` and from `fd`; its bytes are removed from `*pending`.
inline RawReply ReadReply(int fd, std::string* pending, int timeout_ms = 5000) {
  RawReply r;
  size_t end;
  while ((end = pending->find("\r\n\r\n")) == std::string::npos) {
    if (ReadSome(fd, pending, timeout_ms) <= 0) return r;
  }
  r.head = pending->substr(0, end);
  const std::string length = r.header("Content-Length");
  const size_t body_bytes = length.empty() ? 0 : std::stoul(length);
  while (pending->size() < end + 4 + body_bytes) {
    if (ReadSome(fd, pending, timeout_ms) <= 0) return r;
  }
  r.body = pending->substr(end + 4, body_bytes);
  pending->erase(0, end + 4 + body_bytes);
  r.status = std::stoi(r.head.substr(9, 3));
  return r;
}

// One request on a new connection from `source`.
inline RawReply RawCall(int port, const std::string& request, const char* source = "127.0.0.1") {
  const int fd = Connect(port, source);
  if (fd < 0) return {};
  std::string pending;
  RawReply r = SendAll(fd, request) ? ReadReply(fd, &pending) : RawReply{};
  ::close(fd);
  return r;
}

inline std::string Get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra_headers + "\r\n";
}

}  // namespace foryou::server
