#include "mailroom/pop3/byte_stuffing.hpp"

#include <cstring>

namespace mailroom::pop3 {

namespace {

const char* find_lf(const char* p, const char* end) {
  return static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
}

}  // namespace

std::size_t stuffed_size(std::string_view content) {
  std::size_t n = content.size();
  const char* p = content.data();
  const char* const end = p + content.size();
  while (p < end) {  // p is at the start of a line
    if (*p == '.') ++n;
    const char* lf = find_lf(p, end);
    if (lf == nullptr) return n + 2;  // last line without a line end
    if (lf == p || lf[-1] != '\r') ++n;
    p = lf + 1;
  }
  return n;
}

void append_stuffed(std::string& out, std::string_view content) {
  const char* p = content.data();
  const char* const end = p + content.size();
  while (p < end) {
    if (*p == '.') out.push_back('.');
    const char* lf = find_lf(p, end);
    if (lf == nullptr) {
      out.append(p, end);
      out += "\r\n";
      return;
    }
    if (lf == p || lf[-1] != '\r') {
      out.append(p, lf);
      out += "\r\n";
    } else {
      out.append(p, lf + 1);
    }
    p = lf + 1;
  }
}

std::string_view message_top(std::string_view content, std::uint64_t body_lines) {
  const char* const begin = content.data();
  const char* const end = begin + content.size();
  const char* p = begin;
  // The header ends at the first empty line (CRLF or a bare LF).
  while (p < end) {
    const char* lf = find_lf(p, end);
    if (lf == nullptr) return content;
    const bool empty = lf == p || (lf == p + 1 && *p == '\r');
    p = lf + 1;
    if (empty) break;
  }
  for (std::uint64_t k = 0; k < body_lines && p < end; ++k) {
    const char* lf = find_lf(p, end);
    p = lf == nullptr ? end : lf + 1;
  }
  return content.substr(0, static_cast<std::size_t>(p - begin));
}

}  // namespace mailroom::pop3
