// UTF8=ACCEPT (RFC 6855): once a client has enabled it, quoted strings and
// mailbox names are UTF-8 both ways (Arguments reads them so, wire_name()
// writes them so), and APPEND takes UTF8 (~{n}) for messages whose header
// fields are UTF-8 (commands_folders.cpp).
#include "mailroom/imap/fetch_items.hpp"
#include "mailroom/imap/server_session.hpp"

namespace mailroom::imap {

bool ServerSession::enable_utf8_accept() {
  if (utf8_) return false;  // already on: ENABLED does not list it again
  utf8_ = true;
  return true;
}

std::string ServerSession::utf8_wire_name(std::string_view name) const {
  // RFC 6855 §3: a quoted string may hold UTF-8 now (the store keeps names
  // in valid UTF-8).
  std::string out;
  append_string(out, name, true);
  return out;
}

}  // namespace mailroom::imap
