// Small ASCII helpers shared by the protocol state machines (SMTP, POP3):
// case-insensitive comparison, trimming, decimal numbers, reply text that
// cannot break a reply line, and the capped "C: ..." / "S: ..." transcript
// every session can keep.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace mailroom {

// "10 s", "0.5 s": a timeout as error messages give it.
inline std::string seconds_text(std::chrono::milliseconds timeout) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(timeout.count()) / 1000.0);
  return buf;
}

inline char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? char(c - 32) : c; }

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_upper(a[i]) != ascii_upper(b[i])) return false;
  return true;
}

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; }

inline std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = ascii_lower(c);
  return out;
}

// The domain of an address, lower-cased; "" when it has no '@'.
inline std::string address_domain(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : lowered(address.substr(at + 1));
}

// The IP of an "ip:port" or "[v6]:port" peer text.
inline std::string_view peer_address(std::string_view peer) {
  if (!peer.empty() && peer[0] == '[') {
    auto end = peer.find(']');
    return end == std::string_view::npos ? peer : peer.substr(1, end - 1);
  }
  auto colon = peer.rfind(':');
  return colon == std::string_view::npos ? peer : peer.substr(0, colon);
}

inline bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Where `needle` first stands in `hay` at or after `from`, ASCII case
// ignored; npos when nowhere. Copies nothing, so a caller that searches on
// from each of many places in a large text stays linear in what it reads.
inline std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from = 0) {
  if (needle.size() > hay.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i)
    if (istarts_with(hay.substr(i), needle)) return i;
  return std::string_view::npos;
}

// Spaces and tabs removed at both ends.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// 1*DIGIT, saturating; false when not all digits or empty.
inline bool parse_number(std::string_view s, std::uint64_t& v) {
  if (s.empty()) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  return true;
}

// Appends reply text with CR and LF replaced by spaces, so text from a
// handler or a setting can never end a reply early or inject a second one.
inline void append_reply_text(std::string& w, std::string_view text) {
  for (char c : text) w.push_back(c == '\r' || c == '\n' ? ' ' : c);
}

// A session transcript: "C: line" / "S: line" entries, control octets shown as
// \xNN, capped at `max_bytes` (0 = off). When the cap is reached the
// transcript ends with "[transcript truncated]\n" and takes no more lines.
class Transcript {
 public:
  explicit Transcript(std::size_t max_bytes = 0) : max_(max_bytes) {}
  void add(std::string_view prefix, std::string_view text);
  // One add() per CRLF-terminated line of `reply` (what a server wrote).
  void reply_lines(std::string_view prefix, std::string_view reply);
  // "-- <TLS established: TLSv1.3 ...>": where a client's session went into TLS.
  void tls_established(std::string_view description);
  // "S: <n octets before the TLS handshake, dropped>" (STARTTLS, STLS).
  void dropped_before_tls(std::size_t octets);
  bool enabled() const { return max_ > 0; }
  const std::string& text() const { return text_; }
  bool truncated() const { return truncated_; }

 private:
  std::size_t max_;
  std::string text_;
  bool truncated_ = false;
};

}  // namespace mailroom
