// Fixtures for the SMTP client tests: ServerScript (the server's side as
// "S: ..." lines fed to the client, "C: ..." lines expected from it) and Link
// (the client against smtp::ServerSession in memory). Header-only.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/smtp/client_session.hpp"
#include "smtp_conversation.hpp"

namespace {

// A scripted server: S() feeds a reply line, C() checks the next line the
// client wrote.
struct ServerScript {
  ClientSession c;
  std::string written;
  std::size_t pos = 0;
  bool byte_at_a_time = false;

  explicit ServerScript(ClientConfig cfg = {}) : c(std::move(cfg)) {}

  void pull() { written += c.take_output(); }
  void S(std::string_view line) {
    const std::string bytes = std::string(line) + "\r\n";
    if (byte_at_a_time)
      for (char ch : bytes) c.feed(std::string_view(&ch, 1));
    else
      c.feed(bytes);
    pull();
  }
  void C(std::string_view want) {
    pull();
    const std::size_t e = written.find("\r\n", pos);
    if (e == std::string::npos) {
      ++g_failures;
      std::fprintf(stderr, "FAIL [%s] expected C: \"%s\" but the client wrote nothing\n",
                   g_test, show(want).c_str());
      return;
    }
    CHECK_EQ(written.substr(pos, e - pos), std::string(want));
    pos = e + 2;
  }
  void script(std::string_view text) { run_script(*this, text); }
  void nothing_written() {
    pull();
    CHECK_EQ(written.substr(pos), std::string());
  }
};

struct Link {
  Config scfg;
  Recorder h;
  ServerSession server;
  ClientSession client;
  Link(Config s, ClientConfig c) : scfg(std::move(s)), server(scfg, h, "e2e"), client(std::move(c)) {
    client.feed(server.greeting().bytes);
  }
  // Moves bytes both ways until neither side has anything to say.
  void pump() {
    for (int round = 0; round < 1000; ++round) {
      const std::string to_server = client.take_output();
      if (to_server.empty()) return;
      std::vector<Output> out;
      // Odd-sized pieces, to exercise the incremental parsers.
      for (std::size_t i = 0; i < to_server.size(); i += 7)
        server.feed(std::string_view(to_server).substr(i, 7), out);
      for (const Output& o : out) client.feed(o.bytes);
    }
  }
};

}  // namespace
