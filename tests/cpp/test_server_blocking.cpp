// The engine's Server with one network thread: a message hook that blocks
// holds up only the session waiting for it (the hook runs off the network
// threads and its answer comes back on the connection's strand).
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "conversation.hpp"
#include "mailroom/engine/server.hpp"
#include "socket_client.hpp"

using namespace mailroom;

namespace {

// C: one line, S: its one-line reply.
std::string say(int fd, std::string_view line) {
  send_all(fd, line);
  send_all(fd, "\r\n");
  return read_lines(fd, 1);
}

// The textbook transaction; returns the reply to the final ".".
std::string send_message(std::uint16_t port, const std::string& subject) {
  int fd = connect_to(port);
  read_lines(fd, 1);  // S: 220
  say(fd, "HELO client.example");
  say(fd, "MAIL FROM:<alice@example.org>");
  say(fd, "RCPT TO:<bob@example.org>");
  say(fd, "DATA");
  const std::string r = say(fd, "Subject: " + subject + "\r\n\r\nhello\r\n.");
  say(fd, "QUIT");
  ::close(fd);
  return r;
}

}  // namespace

TEST(a_blocked_message_hook_does_not_stall_another_session) {
  engine::ServerOptions o;
  o.threads = 1;
  engine::Server server(o);
  std::atomic<bool> entered{false}, release{false};
  server.set_message_hook([&](const std::string& data, const store::Envelope&) {
    if (data.find("Subject: slow") != std::string::npos) {
      entered = true;
      for (int i = 0; i < 5000 && !release; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return smtp::Decision{};
  });
  server.start();
  std::string slow_reply;
  std::thread slow([&] { slow_reply = send_message(server.smtp_port(), "slow"); });
  for (int i = 0; i < 5000 && !entered; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(entered);
  // A whole session while the hook still blocks.
  CHECK(send_message(server.smtp_port(), "fast").rfind("250 2.0.0 OK", 0) == 0);
  CHECK(!release);
  CHECK_EQ(server.store().count(), std::size_t{1});
  release = true;
  slow.join();
  CHECK(slow_reply.rfind("250 2.0.0 OK", 0) == 0);
  CHECK_EQ(server.store().count(), std::size_t{2});
  server.stop();
}

TEST(stop_waits_for_a_blocked_hook_and_drops_its_answer) {
  engine::ServerOptions o;
  o.threads = 1;
  engine::Server server(o);
  std::atomic<bool> entered{false};
  server.set_message_hook([&](const std::string&, const store::Envelope&) {
    entered = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return smtp::Decision{};
  });
  server.start();
  std::thread client([&] { send_message(server.smtp_port(), "x"); });
  for (int i = 0; i < 5000 && !entered; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server.stop();  // closes the connection; the hook's answer goes nowhere
  CHECK(!server.running());
  client.join();
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
