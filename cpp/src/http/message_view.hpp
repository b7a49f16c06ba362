// A stored message as the REST API shows it: its stable ID, the summary and
// the full view in Mailpit's JSON field names (ID, MessageID, Read, From,
// To, Cc, Bcc, ReplyTo, Subject, Created, Size, Attachments, Snippet, Tags,
// ...), its text, HTML and parts with IMAP-style part numbers ("1", "2.1").
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/html.hpp"
#include "mailroom/mime/message.hpp"
#include "mailroom/store/mail_store.hpp"

namespace mailroom::http {

// Where a message lives in the store; its ID is this, encoded.
struct MessageLocation {
  std::string account;
  std::string folder;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
};

// A path-safe ID (base64url of the location): stable while the folder's
// UIDVALIDITY is, never reused for another message.
std::string encode_message_id(const MessageLocation& where);
std::optional<MessageLocation> decode_message_id(std::string_view id);

struct MessageView {
  store::MessagePtr message;
  std::string id;
  std::shared_ptr<const std::string> raw;
  std::shared_ptr<mime::ParsedMessage> parsed;
};

// Reads and parses a stored message; nullopt when it is gone.
std::optional<MessageView> view_message(const store::MailStore& store, const store::MessagePtr& m,
                                        const std::string& folder, std::uint32_t uidvalidity);

// "2026-12-01T11:52:40.000Z" (RFC 3339, UTC).
std::string rfc3339(double seconds_since_epoch);

// The first text/plain and text/html parts that are not attachments, as UTF-8.
std::string message_text(const mime::ParsedMessage& p);
std::string message_html(const mime::ParsedMessage& p);
// Decoded Subject, "" when absent.
std::string message_subject(const mime::ParsedMessage& p);
// The text of a header field after RFC 2047 decoding, "" when absent.
std::string decoded_header(const mime::ParsedMessage& p, std::string_view name);
// The text of HTML (mime/html.hpp).
using mime::html_to_text;
// Up to 250 characters of text (HTML with its tags dropped when no text).
std::string message_snippet(const mime::ParsedMessage& p);
// IMAP-style part numbers of every part (index into parsed.parts); "" for
// a multipart root.
std::vector<std::string> part_numbers(const mime::ParsedMessage& p);
// Tags: X-Tags values, the details of the subaddresses in To, Cc and Bcc
// (bob+signup@x.test: "signup", as Mailpit tags), then the message's keywords.
std::vector<std::string> message_tags(const MessageView& v);
// The tags the message itself carries: X-Tags values (comma-separated,
// trimmed, first of each kept), then its subaddresses' details.
std::vector<std::string> header_tags(const mime::ParsedMessage& p);
// Those tags, then the keywords not among them.
std::vector<std::string> with_keywords(std::vector<std::string> tags,
                                       const std::vector<std::string>& keywords);

boost::json::object message_summary(const MessageView& v);
boost::json::object message_detail(const MessageView& v);
// {"Header-Name": ["value", ...], ...}, names sorted (Mailpit's /headers).
boost::json::object message_headers(const mime::ParsedMessage& p);

}  // namespace mailroom::http
