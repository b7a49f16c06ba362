// Modified UTF-7 (RFC 3501 §5.1.3, kept by RFC 9051 §5.1.3 for clients that
// did not ENABLE UTF8=ACCEPT): how IMAP folder names travel, and how Dovecot
// and mailroom spell non-ASCII folder names in Maildir++ directory names.
// Printable ASCII stands for itself except '&', written "&-"; any other run
// of characters is UTF-16, base64 with ',' for '/', unpadded, between '&'
// and '-'.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace mailroom {

struct InvalidModifiedUtf7 : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// UTF-8 -> modified UTF-7. Throws InvalidModifiedUtf7 for bytes that are
// not UTF-8.
std::string to_modified_utf7(std::string_view utf8);
// Modified UTF-7 -> UTF-8. Strict, as RFC 3501 asks: a shift must be
// closed, hold whole UTF-16 units (no leftover bits), pairs of surrogates,
// and no printable ASCII (which must stand for itself); 8-bit bytes are
// refused. Throws InvalidModifiedUtf7 saying what is wrong.
std::string from_modified_utf7(std::string_view mutf7);

}  // namespace mailroom
