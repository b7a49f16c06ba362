// Mailbox names on the wire (RFC 3501 §5.1.3, RFC 9051 §5.1: modified UTF-7)
// and in the store (UTF-8). '&' shifts into modified base64 of UTF-16
// ("&-" is '&' itself); printable ASCII stands for itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailroom::imap {

// UTF-8 -> modified UTF-7. Invalid UTF-8 gives nullopt.
std::optional<std::string> mutf7_encode(std::string_view utf8);
// Modified UTF-7 -> UTF-8. Nullopt for what RFC 3501 §5.1.3 forbids: a raw
// non-ASCII or control octet, an unterminated or empty shift other than "&-",
// a shift that encodes printable ASCII, bad base64 or padding bits, a broken
// surrogate pair, two shifts back to back.
std::optional<std::string> mutf7_decode(std::string_view wire);

}  // namespace mailroom::imap
