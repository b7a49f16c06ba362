// Replies and forwards, as a mail user agent writes them (RFC 5322 §3.6.4):
// who they go to, their subject, In-Reply-To and References, and the
// original quoted or forwarded. One code for Python's Message.reply and the
// web mail client's routes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/builder.hpp"
#include "mailroom/mime/message.hpp"

namespace mailroom::mime {

enum class ReplyMode { reply, reply_all, forward };

// "reply", "reply_all", "forward"; nullopt for anything else.
std::optional<ReplyMode> parse_reply_mode(std::string_view name);

constexpr std::size_t kMaxReplyReferences = 20;  // ids in References: the first and the last ones
constexpr std::size_t kMaxMessageIdLength = 250;  // a longer id is left out

struct ReplyOptions {
  ReplyMode mode = ReplyMode::reply;
  // The one answering. Absent: the original's first To (else Cc) address.
  std::optional<Mailbox> from;
  // More addresses of the one answering, left out of a reply-all.
  std::vector<std::string> own_addresses;
  std::vector<Mailbox> to;  // forward: its recipients
  bool quote = true;        // reply: the original quoted under the new text
  bool inline_forward = true;  // forward: in the body; else attached as message/rfc822
};

// What a reply or forward starts from, before the writer's own words.
struct ReplyDraft {
  std::optional<Mailbox> from;
  std::vector<Mailbox> to, cc;
  std::string subject;
  std::string in_reply_to;              // "<id>", "" for a forward or an original without one
  std::vector<std::string> references;  // "<id>" each
  // The original for the body: "On DATE, NAME <addr> wrote:" and "> " lines
  // for a reply (empty without `quote`), the "---------- Forwarded message
  // ---------" block for an inline forward (empty when it is attached).
  std::string quoted_text;
  std::string quoted_html;  // the same in HTML (the quote in a <blockquote>)
  // Inline forward: the original's attachments (indexes into its parts).
  std::vector<std::uint32_t> attachments;
};

// Reply (RFC 5322 §3.6.3): To the Reply-To addresses, else From. Reply-all:
// To the Mail-Followup-To addresses when there are some, else Reply-To/From
// with the original's To and Cc as Cc; the answerer's own addresses and
// duplicates (addresses compared case-insensitively) left out. A reply to
// one's own message goes to its To. Subject "Re: " / "Fwd: " and the
// original's subject without its reply and forward prefixes ("Re:", "RE:",
// "Aw:", "Fwd:", "Fw:", "[list]" tags kept), never piling up.
ReplyDraft draft_reply(const ParsedMessage& original, const ReplyOptions& options);

// The new message's spec: the draft's addresses, subject and threading fields;
// text (and html) the writer's words followed by the quote; the forwarded
// attachments, or for a forward that is not inline, the original as a
// message/rfc822 attachment. Build it with build_message.
MessageSpec reply_spec(const ParsedMessage& original, const ReplyDraft& draft,
                       const ReplyOptions& options, std::optional<std::string> text,
                       std::optional<std::string> html);

}  // namespace mailroom::mime
