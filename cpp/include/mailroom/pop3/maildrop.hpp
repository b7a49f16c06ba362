// The mailbox a POP3 session works on once logged in (RFC 1939 "maildrop").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mailroom::pop3 {

struct MaildropEntry {
  // Octets of the message with CRLF line ends, before byte-stuffing: what
  // LIST and STAT report (RFC 1939 §5) and what content() holds.
  std::uint64_t size = 0;
  // Unique-id listing (RFC 1939 §7): 1..70 octets in 0x21..0x7E, stable across
  // sessions. Octets outside that range are written as '?'.
  std::string uid;
};

// A locked snapshot of one mailbox, made by Handler at login. The session
// numbers entries() from 1 in this order for its whole life. The lock is held
// by the object: the session drops its shared_ptr when it ends, so the
// destructor is where the lock goes (without committing anything).
class Maildrop {
 public:
  virtual ~Maildrop() = default;
  // Fixed for the session; the session reads it once at login.
  virtual const std::vector<MaildropEntry>& entries() const = 0;
  // The message bytes, CRLF line ends (bare LF is sent as CRLF anyway), not
  // byte-stuffed. Shared so RETR of a large message sends it without a copy
  // when no line starts with '.'. nullptr or a throw: -ERR [SYS/TEMP].
  virtual std::shared_ptr<const std::string> content(std::size_t index) = 0;
  // The UPDATE state (RFC 1939 §6): remove these entries (0-based indexes,
  // ascending; possibly none). Called once, only for QUIT in the TRANSACTION
  // state; never for a dropped connection or a timeout. A throw gives
  // -ERR [SYS/TEMP] (RFC 1939: "some deleted messages not removed").
  virtual void commit(const std::vector<std::size_t>& deleted) = 0;
};

}  // namespace mailroom::pop3
