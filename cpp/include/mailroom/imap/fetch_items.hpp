// What FETCH returns about a parsed message (RFC 9051 §7.5.2): ENVELOPE,
// BODYSTRUCTURE / BODY, and the octets of BODY[section]. IMAP part numbers
// (RFC 9051 §6.4.5) are mapped onto the MIME parser's tree here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/message.hpp"

namespace mailroom::imap {

// A string in a response: quoted when it can be, a literal otherwise (8-bit,
// CR, LF, quotes of more than a few, long text). `utf8`: UTF-8 may be quoted
// (RFC 6855 §3, after ENABLE UTF8=ACCEPT; the caller checked it is UTF-8).
void append_string(std::string& out, std::string_view s, bool utf8 = false);
void append_nstring(std::string& out, const std::optional<std::string>& s);

// ENVELOPE of the message whose root is part `part` (0: the message itself;
// an embedded message/rfc822's child otherwise).
void append_envelope(std::string& out, const mime::ParsedMessage& m, std::uint32_t part = 0);
// BODYSTRUCTURE (`extensions`, RFC 9051 §7.5.2 body-ext-*) or BODY (without).
void append_body_structure(std::string& out, const mime::ParsedMessage& m, bool extensions,
                           std::uint32_t part = 0);

// section-spec (RFC 9051 §6.4.5): part numbers, then what of that part.
struct Section {
  enum class Kind { Whole, Header, HeaderFields, HeaderFieldsNot, Text, Mime };
  std::vector<std::uint32_t> path;  // "1.2" -> {1, 2}; empty: the message
  Kind kind = Kind::Whole;
  std::vector<std::string> fields;  // HEADER.FIELDS (...), as given
  // The section as the response names it: "1.2.HEADER.FIELDS (FROM TO)".
  std::string label() const;
};

class Arguments;
// section = "[" [section-spec] "]" (RFC 9051 §9), as FETCH and CATENATE's
// URLs (RFC 5092 ";SECTION=") name one. Throws SyntaxError.
Section read_section(Arguments& a);

// The octets of a section; empty when the part does not exist (RFC 9051
// §6.4.5: a part that does not exist is answered with an empty string).
std::string section_bytes(const mime::ParsedMessage& m, const Section& s);

// BINARY[section-binary] (RFC 3516 §4.2): the content of the part `path`
// names with its Content-Transfer-Encoding undone (base64,
// quoted-printable; 7bit, 8bit and binary as they are); the whole message
// for an empty path, a multipart's or message's body as it is. "" when the
// part does not exist; nullopt when its encoding is one this server does not
// know (answered NO [UNKNOWN-CTE]).
std::optional<std::string> binary_section(const mime::ParsedMessage& m,
                                          const std::vector<std::uint32_t>& path);

// A literal8 "~{n}" (RFC 3516 §4.2) when `s` holds a NUL, which a literal
// may not; else a literal ("" when empty).
void append_binary_string(std::string& out, std::string_view s);

}  // namespace mailroom::imap
