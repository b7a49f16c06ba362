#include "mailroom/net/pop3_client.hpp"

#include <system_error>

namespace mailroom::net {

Pop3Client::Pop3Client(Pop3ClientOptions options)
    : options_(std::move(options)), session_(options_.session) {}

pop3::Response Pop3Client::connect() {
  connection_.connect(options_.host, options_.port, options_.connect_timeout);
  pop3::Response greeting = wait(0);
  if (greeting.ok) wait(session_.capa());  // -ERR to CAPA is fine: no extensions
  return greeting;
}

void Pop3Client::pump() { net::pump(connection_, session_, options_.session.response_timeout); }

pop3::Response Pop3Client::wait(std::uint64_t id) {
  for (;;) {
    while (auto r = session_.next_response()) arrived_.emplace(r->id, std::move(*r));
    if (auto it = arrived_.find(id); it != arrived_.end()) {
      pop3::Response r = std::move(it->second);
      arrived_.erase(it);
      return r;
    }
    if (session_.failed() || session_.closed()) {
      connection_.close();
      throw Pop3SessionError(session_.error(), session_.failed() ? session_.error_text()
                                                                  : "the session is closed");
    }
    pump();
  }
}

void Pop3Client::close() { connection_.close(); }

}  // namespace mailroom::net
