#include "mailroom/smtp/reply.hpp"

#include "mailroom/text.hpp"

namespace mailroom::smtp {

std::string Reply::wire() const {
  const int c = (code >= 200 && code <= 599) ? code : 451;
  const std::string num = std::to_string(c);
  std::string w;
  const std::size_t n = lines.empty() ? 1 : lines.size();
  for (std::size_t i = 0; i < n; ++i) {
    w += num;
    w.push_back(i + 1 < n ? '-' : ' ');
    if (!enhanced.empty()) {
      append_reply_text(w, enhanced);
      w.push_back(' ');
    }
    if (!lines.empty()) append_reply_text(w, lines[i]);
    w += "\r\n";
  }
  return w;
}

}  // namespace mailroom::smtp
