// Multi-line response bodies (RFC 1939 §3): every line ends in CRLF and a line
// starting with '.' gets one more '.' in front, so only CRLF "." CRLF ends the
// response.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailroom::pop3 {

// Octets of `content` once stuffed: one more per line starting with '.', one
// more per bare LF (sent as CRLF), two more when the last line has no line
// end. Equal to content.size() exactly when content can be sent as it is.
// One memchr scan, no copy.
std::size_t stuffed_size(std::string_view content);

// Appends `content` stuffed as above to `out` (reserve stuffed_size() first
// to copy once).
void append_stuffed(std::string& out, std::string_view content);

// The first part of a message for TOP (RFC 1939 §7): the header, the blank
// line after it and at most `body_lines` lines of the body. A message without
// a blank line is all header.
std::string_view message_top(std::string_view content, std::uint64_t body_lines);

}  // namespace mailroom::pop3
