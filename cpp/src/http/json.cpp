// Boost.JSON, header-only: its implementation is compiled here, once; and
// JSON text with numbers written as a person would.
#include <boost/json/src.hpp>

#include <charconv>
#include <string>

namespace mailroom::http {

// Boost.JSON writes every double in exponent form ("0E0", "1.5E0",
// "1.7649E9"): each becomes the shortest fixed notation that reads back as
// the same double ("0", "1.5", "1764900000"). Integers and strings are kept.
std::string json_text(const boost::json::value& v) {
  const std::string in = boost::json::serialize(v);
  std::string out;
  out.reserve(in.size());
  bool in_string = false;
  for (std::size_t i = 0; i < in.size();) {
    const char c = in[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < in.size()) out.push_back(in[++i]);
      else if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out.push_back(c);
      ++i;
      continue;
    }
    if (c != '-' && !(c >= '0' && c <= '9')) {
      out.push_back(c);
      ++i;
      continue;
    }
    std::size_t end = i;
    bool exponent = false;
    while (end < in.size() && std::string_view("+-.0123456789eE").find(in[end]) != std::string_view::npos) {
      exponent = exponent || in[end] == 'e' || in[end] == 'E';
      ++end;
    }
    double d = 0;
    char buf[400];
    if (exponent && std::from_chars(in.data() + i, in.data() + end, d).ec == std::errc()) {
      if (d == 0) d = 0;  // "-0E0" too
      const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
      if (r.ec == std::errc()) {
        out.append(buf, r.ptr);
        i = end;
        continue;
      }
    }
    out.append(in, i, end - i);
    i = end;
  }
  return out;
}

}  // namespace mailroom::http
