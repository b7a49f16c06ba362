// Content-Transfer-Encodings and header encodings: base64 (RFC 2045 §6.8),
// quoted-printable (RFC 2045 §6.7), charsets through iconv, RFC 2047
// encoded-words and RFC 2231 parameter values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailroom::mime {

// The first problem a lenient decoder met (for strict callers and messages).
struct CodecIssue {
  bool bad = false;            // what the `bool* bad` overloads report
  bool unpadded = false;       // base64 only: final quartet had no '=' padding
  std::size_t offset = 0;      // input offset of the first problem
  const char* reason = "";     // static text describing the first problem
};

// base64. With wrap > 0 every output line (the last one too) ends in CRLF and
// holds at most `wrap` characters; wrap == 0 gives one line with no line end.
std::string base64_encode(std::string_view data, std::size_t wrap = 76);

// Lenient decode: whitespace and line ends are skipped; other characters
// outside the alphabet are skipped and flagged; missing padding is accepted;
// data after '=' padding (concatenated base64) is decoded too and flagged.
// `*bad` (when given) is set when anything was skipped or the input was cut off.
std::string base64_decode(std::string_view text, bool* bad = nullptr);
// Same decode, reporting where and why the input was irregular.
std::string base64_decode(std::string_view text, CodecIssue& issue);
// Most bytes the decode of `chars` characters of base64 writes (one spare byte
// included: the decoder stores four bytes for every three it decodes).
constexpr std::size_t base64_decoded_capacity(std::size_t chars) { return chars / 4 * 3 + 4; }
// The same decode into a caller's buffer of base64_decoded_capacity(text.size())
// bytes, so a caller that owns the destination (a Python bytes object) needs no
// copy; returns the number of bytes decoded. `issue` may be null.
std::size_t base64_decode_to(std::string_view text, char* out, CodecIssue* issue);
// The inner loops a base64 decode can run on: the portable one and the x86
// vector ones (16 and 32 characters a step). Every one gives the same bytes
// and the same CodecIssue for every input; the decodes above use the fastest
// this processor supports. Tests and fuzz targets name one to compare them.
enum class Base64Decoder { scalar, ssse3, avx2 };
bool base64_decoder_available(Base64Decoder decoder);
// base64_decode_to with the named inner loop (which must be available).
std::size_t base64_decode_to(std::string_view text, char* out, CodecIssue* issue,
                             Base64Decoder decoder);

// quoted-printable for bodies. Line breaks in the input (CRLF or a bare LF)
// become CRLF; lines are soft-broken with "=\r\n" so no line exceeds
// `max_line` characters; trailing space/tab before a line break is encoded.
std::string qp_encode(std::string_view data, std::size_t max_line = 76);

// Lenient decode: soft line breaks removed, "=XX" decoded (either case), a
// malformed '=' kept as is and flagged in `*bad`. Line ends are kept as they
// are; space and tab before a line end (transport padding) are dropped.
std::string qp_decode(std::string_view text, bool* bad = nullptr);
std::string qp_decode(std::string_view text, CodecIssue& issue);
// The same decode into a caller's buffer of text.size() bytes (the output is
// never longer than the input); returns the number of bytes decoded.
std::size_t qp_decode_to(std::string_view text, char* out, CodecIssue* issue);

// Canonical iconv name for a MIME charset label (case-insensitive), e.g.
// "ks_c_5601-1987" -> "CP949", "latin1" -> "ISO-8859-1", "utf8" -> "UTF-8".
// Supersets stand in for labels senders misuse: euc-kr -> CP949,
// gb2312 -> GB18030, shift_jis -> CP932, iso-2022-jp -> ISO-2022-JP-2.
// A language suffix ("utf-8*en") is dropped; unknown labels come back upper-cased.
std::string canonical_charset(std::string_view label);

// Converts `data` in `charset` to UTF-8. Undecodable bytes become U+FFFD and
// set `*bad`; returns false (and copies the bytes with invalid UTF-8 replaced)
// when the charset is unknown to iconv. An empty charset means us-ascii, and
// us-ascii text with 8-bit bytes is read as UTF-8 (a common mislabel).
bool to_utf8(std::string_view data, std::string_view charset, std::string& out,
             bool* bad = nullptr);

// Does to_utf8 read `charset` as UTF-8 (UTF-8 itself, US-ASCII and no
// charset)? Then valid UTF-8 input comes out unchanged, and a caller holding
// the bytes may take them as they are once it has checked they are valid.
bool reads_as_utf8(std::string_view charset);

// Converts UTF-8 to `charset`; false when not representable.
bool from_utf8(std::string_view utf8, std::string_view charset, std::string& out);

// Replaces invalid UTF-8 sequences with U+FFFD. Returns true if input was valid.
bool sanitize_utf8(std::string_view data, std::string& out);
// The same, appending to `out` (which keeps what it held).
bool append_sanitized_utf8(std::string_view data, std::string& out);

// RFC 5322 §2.2.3 unfolding followed by RFC 2047 decoding of encoded-words
// (B and Q, any iconv charset, adjacent encoded-words joined without the
// whitespace between them). Bytes outside encoded-words are taken as UTF-8
// (RFC 6532) with invalid sequences replaced. Result is UTF-8.
std::string decode_header(std::string_view raw_value, bool* bad = nullptr);

// Encodes a UTF-8 header value for a field whose name is `name_len` octets
// long: ASCII-only values are folded at whitespace; otherwise the non-ASCII
// runs become RFC 2047 encoded-words (utf-8, B or Q whichever is shorter) and
// lines are folded with CRLF SP so none exceeds 78 characters including the
// "Name: " prefix. The result starts right after "Name: ".
std::string encode_header(std::string_view utf8_value, std::size_t name_len = 0);

// An RFC 2047 phrase (display name): quoted-string when ASCII and it needs
// quoting, encoded-words when not ASCII, as is when it is a plain atom phrase.
// The encoded-words (several only for long names) are separated by single
// spaces, so the result can be folded between them.
std::string encode_phrase(std::string_view utf8_name);

// RFC 2231 §4: "charset'language'%XX..." -> UTF-8.
std::string rfc2231_decode(std::string_view extended_value, bool* bad = nullptr);

// Encodes one MIME parameter `name=value` (value UTF-8): plain or quoted when
// ASCII, otherwise RFC 2231 `name*=utf-8''%XX..`, split into `name*0*=`,
// `name*1*=`... continuations when longer than fits on a 78-column line.
// The result is one or more "name=value" pieces joined by ";\r\n ".
std::string encode_param(std::string_view name, std::string_view utf8_value);

}  // namespace mailroom::mime
