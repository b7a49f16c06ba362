// Blocking TCP client helpers for the test programs that talk to a real
// listener on 127.0.0.1. Header-only.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until `lines` lines came, the peer closed, or 5 s passed.
std::string read_lines(int fd, std::size_t lines) {
  std::string got;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end) {
    std::size_t n = 0;
    for (char c : got) n += c == '\n';
    if (n >= lines) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[8192];
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r <= 0) break;
    got.append(buf, static_cast<std::size_t>(r));
  }
  return got;
}

void send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t r = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (r <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(r));
  }
}

}  // namespace
