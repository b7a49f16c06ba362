// One message in one folder, as the store indexes it. Records are immutable
// and shared: a change of flags makes a new record with a new MODSEQ.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/smtp/dsn_parameters.hpp"

namespace mailroom::store {

struct Envelope {
  std::string mail_from;              // "" for the null sender <>
  std::vector<std::string> rcpt_to;   // all recipients of the transaction
  std::string peer;                   // "ip:port" of the client
  double received_at = 0;             // seconds since the epoch
  smtp::MessageDsn dsn;               // RET and ENVID (RFC 3461)
  std::vector<smtp::RecipientDsn> rcpt_dsn;  // NOTIFY and ORCPT, one per rcpt_to (or none)
  std::uint64_t smtp_session = 0;     // the server's SMTP session that delivered it; 0: none
};

struct Message {
  std::uint32_t uid = 0;          // RFC 9051 §2.3.1.1: ascending, never reused
  std::uint8_t flags = 0;         // Flag bits (flags.hpp), beside the UID: no padding between
  std::uint64_t modseq = 0;       // RFC 7162 §3.1: of the last change
  std::vector<std::string> keywords;  // sorted, unique
  std::int64_t internal_date = 0;     // seconds since the epoch (RFC 9051 §2.3.3)
  std::uint64_t size = 0;             // octets as stored (RFC 9051 §2.3.4)
  // Order of arrival over every account's INBOX (what Server.messages lists),
  // from 1; 0 for messages in other folders.
  std::uint64_t arrival = 0;
  std::string account;  // normalized address
  // Maildir: the file in its folder's directory, "new/<base>" or
  // "cur/<base>:2,<info>" as it is named now; memory: "".
  std::string file;
  // Maildir: the folder's directory, one string shared by its messages.
  std::shared_ptr<const std::string> folder_dir;
  std::shared_ptr<const std::string> data;  // memory: the bytes; Maildir: null (read lazily)
  std::shared_ptr<const Envelope> envelope; // null when the SMTP envelope is not known

  // Maildir: the unique base name (no "new/", no ":2," info); memory: "".
  std::string_view base_name() const {
    std::string_view f = file;
    if (const auto slash = f.find('/'); slash != std::string_view::npos) f.remove_prefix(slash + 1);
    return f.substr(0, f.find(':'));
  }
  // Maildir: the file now; memory: "".
  std::string path() const {
    return folder_dir && !file.empty() ? *folder_dir + "/" + file : std::string();
  }
};
using MessagePtr = std::shared_ptr<const Message>;

// What an SMTP envelope must have been for a message found on disk: the
// sender from the Return-Path written at delivery (RFC 5321 §4.4), the
// account as the recipient, the internal date as the time.
std::shared_ptr<const Envelope> envelope_from_headers(std::string_view data,
                                                      const std::string& account,
                                                      std::int64_t internal_date);

// Lower-cases the domain; keeps the local part as written (RFC 5321 §2.4:
// local parts may be case-sensitive). "<>" and bare names map to themselves.
std::string normalize_mailbox(std::string_view address);

// The POP3 unique-id of a message as Dovecot's pop3_uidl_format
// "%08Xv%08Xu" makes it: UIDVALIDITY then UID, 8 upper-case hex digits each.
std::string pop3_uidl(std::uint32_t uidvalidity, std::uint32_t uid);

}  // namespace mailroom::store
