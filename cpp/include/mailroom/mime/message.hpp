// The message model: a parsed message keeps its original bytes and describes
// its MIME tree as spans into them, so an unchanged message serializes back
// byte for byte and structure parsing never copies bodies.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/header_fields.hpp"

namespace mailroom::mime {

struct Span {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t size() const { return end - begin; }
};

struct Limits {
  std::uint32_t max_depth = 100;        // multipart / message nesting
  std::uint32_t max_parts = 10000;      // parts in the whole tree
  std::uint64_t max_header_bytes = 1 << 20;  // one part's header block
  std::uint32_t max_headers = 10000;    // header fields in one part
};

struct HeaderField {
  Span name;   // field name
  Span value;  // raw value after the colon and the blanks that follow it (folded, not
               // decoded), excluding the final line end
  Span line;   // whole field including folding and its final line end
};

// Defect kinds: nul_byte, bare_lf, bare_cr (each reported once per message),
// eight_bit_header, missing_header (From/Date at the top level), invalid_header
// (a line in the header block that is no header field: skipped when a field
// follows it, else the body starts there), missing_separator,
// invalid_content_type (text/plain assumed), missing_boundary (multipart kept as
// a leaf), boundary_not_found (a multipart whose boundary never appears: its
// body kept as one text/plain leaf), unterminated_multipart, depth_limit,
// part_limit, header_limit.
struct Defect {
  std::string kind;    // stable identifier, e.g. "unterminated_multipart"
  std::string detail;  // human-readable
  std::int32_t part = -1;      // index into ParsedMessage::parts, -1 for the message
  std::uint64_t offset = 0;    // byte offset into the raw message
};

struct Part {
  std::int32_t parent = -1;
  std::uint32_t depth = 0;
  Span whole;         // the part's envelope line, header block and body
  Span envelope_line; // a leading "From " line (the mbox envelope, RFC 4155 §2),
                      // without its line end; empty when there is none
  Span header_block;  // the header fields, without the empty line that ends them
  Span body;          // after that empty line; a part's body ends where the line
                      // end before the next boundary line begins (RFC 2046 §5.1.1)
  std::vector<HeaderField> headers;
  std::string content_type = "text/plain";  // lower-cased; RFC 2045 defaults applied
  Params params;                            // Content-Type parameters (charset lower-cased)
  std::string disposition;                  // lower-cased, "" when absent
  Params disposition_params;
  std::string transfer_encoding = "7bit";   // lower-cased
  // Parts of a multipart, the one embedded message, or the field groups of a
  // message/delivery-status body (RFC 3464 §2.1: each a header block of its own).
  std::vector<std::uint32_t> children;
  Span preamble;   // multipart only: before the first boundary line
  Span epilogue;   // multipart only: after the close boundary line (or, past
                   // max_parts, the unsplit rest)
  bool is_multipart = false;
  bool is_message = false;  // message/rfc822 (or global) whose child is the embedded message

  std::string_view param(std::string_view name) const;  // "" when absent
  std::string_view charset() const { return param("charset"); }
  std::string_view filename() const;  // disposition filename, else Content-Type name
};

class ParsedMessage {
 public:
  std::string raw;
  std::vector<Part> parts;  // parts[0] is the root; depth-first order
  std::vector<Defect> defects;
  Limits limits;

  std::string_view bytes(Span s) const {
    return std::string_view(raw).substr(s.begin, s.end - s.begin);
  }
  // First header field of part `index` named `name` (case-insensitive).
  const HeaderField* find_header(std::uint32_t index, std::string_view name) const;

  // Body of a leaf part after undoing its Content-Transfer-Encoding.
  // `bad` is set when the encoding was malformed.
  std::string decoded_body(std::uint32_t index, bool* bad = nullptr) const;
  // The same, without a copy where none is needed: a view of the raw body when
  // the encoding is the identity (7bit, 8bit, binary), else the body decoded
  // into `storage` (and a view of it).
  std::string_view decoded_view(std::uint32_t index, std::string& storage,
                                bool* bad = nullptr) const;
  // The same into a caller's buffer of decoded_capacity(index) bytes (a Python
  // bytes object, say); returns the decoded length.
  std::size_t decoded_capacity(std::uint32_t index) const;
  std::size_t decode_body_to(std::uint32_t index, char* out, bool* bad = nullptr) const;

  // Text of a text/* leaf converted to UTF-8 by its charset.
  std::string text(std::uint32_t index, bool* bad = nullptr) const;
  // Its two steps: `decoded` (from decoded_view) converted by the part's
  // charset; and whether that conversion keeps valid UTF-8 as it is (UTF-8,
  // US-ASCII or no charset), so a caller that checks validity itself may take
  // the decoded bytes as the text.
  std::string text_from(std::uint32_t index, std::string_view decoded, bool* bad = nullptr) const;
  bool text_is_utf8(std::uint32_t index) const;

  // Is part `index` an attachment as a mail reader shows it? Never for a
  // multipart; always with Content-Disposition attachment, never with inline;
  // otherwise a non-text part (an embedded message too) or a text part with a
  // filename.
  bool is_attachment(std::uint32_t index) const;
};

// Parses a message. Never throws on malformed input: what cannot be parsed is
// recorded in `defects`; limits degrade gracefully (a part beyond max_depth is
// kept as an opaque leaf, and so on). Time is linear in the input size.
std::shared_ptr<ParsedMessage> parse_message(std::string data, const Limits& limits = {});

}  // namespace mailroom::mime
