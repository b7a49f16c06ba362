// COMPRESS (RFC 4978): the session answers; the transport deflates. After
// the tagged OK every octet both ways is raw DEFLATE (Output::
// start_compression); TLS, when there is any, is already below it (§4:
// STARTTLS belongs to the not-authenticated state, COMPRESS after it).
#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/text.hpp"

namespace mailroom::imap {

void ServerSession::cmd_compress(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.sp();
  const std::string mechanism = a.atom();
  a.end();
  if (!cfg_.compress) return tagged(out, tag, "BAD", "COMPRESS is not available");
  // RFC 4978 §3: once is enough (COMPRESSIONACTIVE, RFC 5530).
  if (compressing_) return tagged(out, tag, "NO", "[COMPRESSIONACTIVE] DEFLATE is already active");
  if (!iequals(mechanism, "DEFLATE"))
    return tagged(out, tag, "BAD", "Unknown compression mechanism " + mechanism);
  tagged(out, tag, "OK", "DEFLATE active");
  out.back().start_compression = true;
  compressing_ = true;
  // RFC 4978 §3: the client sends nothing more until it has this answer;
  // what follows in the same read was compressed before it could know, and
  // is not read as commands.
  switching_input_ = true;
  line_.clear();
  command_.clear();
  transcript_.add("", "-- DEFLATE compression from here on, both ways");
}

}  // namespace mailroom::imap
