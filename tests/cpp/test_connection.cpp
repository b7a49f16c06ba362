// The network layer's connection, with a toy line protocol (no SMTP or POP3):
// a server may write unprompted (ConnectionRef::notify, post), a client that
// sends without reading stops being read once output is queued, and a
// transfer must keep up NetworkOptions::min_data_rate.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "conversation.hpp"
#include "socket_client.hpp"
#include "mailroom/net/network.hpp"

using namespace mailroom::net;

namespace {

// S: "hello\r\n" first; each line in gets "ok <line>\r\n"; a notify() gets
// "* pushed <n>\r\n", with nothing asked.
struct LineSession : Session {
  std::atomic<std::size_t>* fed;
  std::size_t notified = 0;
  std::string line;
  bool done = false;
  // "wait" pauses the session; a task posted 100 ms later from another
  // thread answers "ok wait" and resumes it.
  bool waiting = false;
  bool fed_while_waiting = false;
  // "data" starts a transfer: lines are taken unanswered until "end".
  bool receiving = false;
  ConnectionRef self;
  explicit LineSession(std::atomic<std::size_t>* f) : fed(f) {}
  void greet(Outputs& out) override { out.push_back(Output{"hello\r\n"}); }
  void refuse(Outputs& out) override {
    Output o{"busy\r\n"};
    o.close_after = true;
    out.push_back(std::move(o));
  }
  void feed(std::string_view data, Outputs& out) override {
    *fed += data.size();
    if (waiting) fed_while_waiting = true;
    for (char c : data) {
      if (c != '\n') {
        line.push_back(c);
        continue;
      }
      if (receiving && line != "end\r") {
        line.clear();
        continue;
      }
      receiving = line == "data\r";
      Output o{"ok " + line + "\n"};
      if (line == "quit\r") {
        o.close_after = true;
        done = true;
      }
      if (line == "big\r") o.body = std::make_shared<const std::string>(4096, 'x');
      if (line == "huge\r") o.body = std::make_shared<const std::string>(8 << 20, 'y');
      if (line == "wait\r") {
        waiting = true;
        std::thread([ref = self, this, o = std::move(o)]() mutable {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          ref.post([this, o = std::move(o)](Outputs& later) mutable {
            waiting = false;
            later.push_back(std::move(o));
          });
        }).detach();
        line.clear();
        return;  // the rest of this read is lost: the test sends no more with it
      }
      out.push_back(std::move(o));
      line.clear();
      if (done) return;
    }
  }
  void tls_established() override {}
  void on_timeout(Outputs& out) override {
    Output o{"timeout\r\n"};
    o.close_after = true;
    out.push_back(std::move(o));
    done = true;
  }
  void on_notify(Outputs& out) override {
    out.push_back(Output{"* pushed " + std::to_string(++notified) + "\r\n"});
  }
  bool receiving_data() const override { return receiving; }
  bool paused() const override { return waiting; }
  bool closed() const override { return done; }
};

struct Fixture {
  std::atomic<std::size_t> fed{0};
  std::mutex m;
  std::vector<ConnectionRef> refs;
  std::vector<LineSession*> sessions;
  Network net;
  std::uint16_t port = 0;
  explicit Fixture(NetworkOptions o = {}) : net(std::move(o)) {
    ListenerSpec spec;
    spec.host = "127.0.0.1";
    spec.factory = [this](const Peer& peer) -> std::unique_ptr<Session> {
      std::lock_guard lock(m);
      refs.push_back(peer.connection);
      auto session = std::make_unique<LineSession>(&fed);
      session->self = peer.connection;
      sessions.push_back(session.get());
      return session;
    };
    port = net.port(net.listen(std::move(spec)));
    net.start(2);
  }
  ConnectionRef ref(std::size_t i) {
    for (int k = 0; k < 500; ++k) {
      {
        std::lock_guard lock(m);
        if (refs.size() > i) return refs[i];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return {};
  }
};

}  // namespace

TEST(server_speaks_first_and_unprompted) {
  Fixture f;
  int fd = connect_to(f.port);
  CHECK(fd >= 0);
  CHECK_EQ(read_lines(fd, 1), std::string("hello\r\n"));
  ConnectionRef ref = f.ref(0);
  // S: * pushed 1 -- the client has sent nothing.
  ref.notify();
  CHECK_EQ(read_lines(fd, 1), std::string("* pushed 1\r\n"));
  // A task posted from another thread writes on the connection's strand.
  std::thread([ref] { ref.post([](Outputs& out) { out.push_back(Output{"* from a task\r\n"}); }); })
      .join();
  CHECK_EQ(read_lines(fd, 1), std::string("* from a task\r\n"));
  // Pushes and replies interleave in order.
  send_all(fd, "a\r\n");
  CHECK_EQ(read_lines(fd, 1), std::string("ok a\r\n"));
  ref.notify();
  send_all(fd, "quit\r\n");
  const std::string tail = read_lines(fd, 2);
  CHECK(tail == "* pushed 2\r\nok quit\r\n" || tail == "ok quit\r\n");
  // The connection is gone: a held ref posts nothing and does not crash.
  ::close(fd);
  for (int k = 0; k < 500 && f.net.active_connections() > 0; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  CHECK_EQ(f.net.active_connections(), std::size_t{0});
  ref.notify();
  ref.post([](Outputs&) { CHECK(false); });
  f.net.stop();
}

TEST(a_client_that_never_reads_stops_being_read) {
  NetworkOptions o;
  o.max_queued_output = 64 * 1024;
  Fixture f(o);
  int fd = connect_to(f.port);
  CHECK(fd >= 0);
  CHECK_EQ(read_lines(fd, 1), std::string("hello\r\n"));
  // C: "big" lines (each answered with 4 KiB) for 64 MiB, never reading.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string chunk;
  for (int i = 0; i < 4096; ++i) chunk += "big\r\n";
  std::size_t sent = 0;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (sent < (std::size_t{64} << 20) && std::chrono::steady_clock::now() < end) {
    const ssize_t r = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (r > 0) {
      sent += static_cast<std::size_t>(r);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  // What the server took in is bounded by its output queue and the socket
  // buffers, not by what the client sent.
  const std::size_t fed = f.fed.load();
  CHECK(fed < (std::size_t{8} << 20));
  CHECK(sent > fed);
  ::close(fd);
  f.net.stop();
}

TEST(stop_closes_every_connection) {
  Fixture f;
  int a = connect_to(f.port), b = connect_to(f.port);
  CHECK_EQ(read_lines(a, 1), std::string("hello\r\n"));
  CHECK_EQ(read_lines(b, 1), std::string("hello\r\n"));
  f.net.stop();
  CHECK_EQ(f.net.active_connections(), std::size_t{0});
  char c;
  CHECK(::read(a, &c, 1) == 0);
  ::close(a);
  ::close(b);
}

TEST(the_idle_deadline_gives_the_session_timeout_reply) {
  NetworkOptions o;
  o.idle_timeout = std::chrono::milliseconds(100);
  Fixture f(o);
  int fd = connect_to(f.port);
  CHECK_EQ(read_lines(fd, 2), std::string("hello\r\ntimeout\r\n"));
  ::close(fd);
}

TEST(each_reply_starts_the_idle_deadline_again) {
  NetworkOptions o;
  o.idle_timeout = std::chrono::milliseconds(1000);
  Fixture f(o);
  int fd = connect_to(f.port);
  CHECK_EQ(read_lines(fd, 1), std::string("hello\r\n"));
  // C: a line every 250 ms for 2 s, twice the idle timeout: each within the
  // timeout of the reply before it, so none is cut.
  for (int k = 0; k < 8; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    send_all(fd, "a\r\n");
    CHECK_EQ(read_lines(fd, 1), std::string("ok a\r\n"));
  }
  // Then silence: the timeout reply, no sooner than the idle timeout after
  // the last reply.
  const auto quiet = std::chrono::steady_clock::now();
  CHECK_EQ(read_lines(fd, 1), std::string("timeout\r\n"));
  CHECK(std::chrono::steady_clock::now() - quiet >= std::chrono::milliseconds(900));
  ::close(fd);
}

TEST(a_reply_larger_than_the_socket_takes_goes_out_whole_and_in_order) {
  Fixture f;
  int fd = connect_to(f.port);
  CHECK_EQ(read_lines(fd, 1), std::string("hello\r\n"));
  // C: huge, then a -- 8 MiB answer the socket cannot take at once; the
  // client reads it slowly; the next reply comes after all of it.
  send_all(fd, "huge\r\na\r\n");
  const std::string want = "ok huge\r\n" + std::string(8 << 20, 'y') + "ok a\r\n";
  std::string got;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.size() < want.size() && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[65536];
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r <= 0) break;
    got.append(buf, static_cast<std::size_t>(r));
    if (got.size() < (std::size_t{1} << 20)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CHECK_EQ(got.size(), want.size());
  CHECK(got == want);
  ::close(fd);
}

TEST(over_the_cap_the_refusal_is_all_and_nothing_is_read) {
  NetworkOptions o;
  o.max_connections = 1;
  Fixture f(o);
  int a = connect_to(f.port);
  CHECK_EQ(read_lines(a, 1), std::string("hello\r\n"));
  int b = connect_to(f.port);
  send_all(b, "a\r\nb\r\n");  // C: pipelined at once
  CHECK_EQ(read_lines(b, 2), std::string("busy\r\n"));  // then the end
  CHECK_EQ(f.fed.load(), std::size_t{0});
  ::close(a);
  ::close(b);
}

TEST(a_paused_session_is_not_fed_until_a_posted_answer) {
  Fixture f;
  int fd = connect_to(f.port);
  CHECK_EQ(read_lines(fd, 1), std::string("hello\r\n"));
  // C: wait -- nothing is pending on the connection while the answer is
  // computed elsewhere; it must stay open, and read nothing meanwhile.
  send_all(fd, "wait\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  send_all(fd, "a\r\n");
  CHECK_EQ(read_lines(fd, 2), std::string("ok wait\r\nok a\r\n"));
  std::lock_guard lock(f.m);
  CHECK(!f.sessions.empty() && !f.sessions[0]->fed_while_waiting);
  ::close(fd);
}

// Sends `line` every 20 ms for `for_ms`; returns what came back meanwhile.
std::string trickle(int fd, const std::string& line, int for_ms) {
  std::string got;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(for_ms);
  while (std::chrono::steady_clock::now() < end && got.empty()) {
    send_all(fd, line);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) got = read_lines(fd, 1);
  }
  return got;
}

TEST(a_transfer_must_keep_up_the_minimum_data_rate) {
  NetworkOptions o;
  o.idle_timeout = std::chrono::milliseconds(300);
  o.min_data_rate = 10'000;
  Fixture f(o);
  // 100 octets every 20 ms: 5,000 a second, each well within the idle
  // timeout, but below the rate: cut within about the idle timeout.
  int slow = connect_to(f.port);
  send_all(slow, "data\r\n");
  CHECK_EQ(read_lines(slow, 2), std::string("hello\r\nok data\r\n"));
  CHECK_EQ(trickle(slow, std::string(98, 's') + "\r\n", 5000), std::string("timeout\r\n"));
  ::close(slow);
  // 400 octets every 20 ms, 20,000 a second, for three idle timeouts: on.
  int fast = connect_to(f.port);
  send_all(fast, "data\r\n");
  CHECK_EQ(read_lines(fast, 2), std::string("hello\r\nok data\r\n"));
  CHECK_EQ(trickle(fast, std::string(398, 'f') + "\r\n", 900), std::string());
  send_all(fast, "end\r\n");
  CHECK_EQ(read_lines(fast, 1), std::string("ok end\r\n"));
  // Commands buy no time: a line trickled a byte at a time still has to
  // come within the idle timeout of the last reply.
  CHECK_EQ(trickle(fast, "x", 5000), std::string("timeout\r\n"));
  ::close(fast);
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
