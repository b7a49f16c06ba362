#include "mailroom/text.hpp"

#include <string>

namespace mailroom {

void Transcript::add(std::string_view prefix, std::string_view text) {
  if (max_ == 0 || truncated_) return;
  std::string entry(prefix);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      entry += "\\x";
      entry.push_back(hex[c >> 4]);
      entry.push_back(hex[c & 15]);
    } else {
      entry.push_back(ch);
    }
  }
  entry.push_back('\n');
  // Room is kept for the marker, so a truncated transcript always says so.
  static constexpr std::string_view marker = "[transcript truncated]\n";
  if (text_.size() + entry.size() + marker.size() > max_) {
    truncated_ = true;
    if (text_.size() + marker.size() <= max_) text_ += marker;
    return;
  }
  text_ += entry;
}

void Transcript::tls_established(std::string_view description) {
  std::string note = "<TLS established";
  if (!description.empty()) note.append(": ").append(description);
  note += ">";
  add("-- ", note);
}

void Transcript::dropped_before_tls(std::size_t octets) {
  std::string note = "<";
  note.append(std::to_string(octets)).append(" octets before the TLS handshake, dropped>");
  add("S: ", note);
}

void Transcript::reply_lines(std::string_view prefix, std::string_view reply) {
  if (max_ == 0) return;
  std::size_t s = 0;
  while (s < reply.size() && !truncated_) {
    std::size_t e = reply.find("\r\n", s);
    if (e == std::string_view::npos) e = reply.size();
    add(prefix, reply.substr(s, e - s));
    s = e + 2;
  }
}

}  // namespace mailroom
