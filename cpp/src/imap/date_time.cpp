#include "mailroom/imap/date_time.hpp"

#include <cstdio>
#include <ctime>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/text.hpp"

namespace mailroom::imap {

namespace {
const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
}  // namespace

std::int64_t parse_date_time(std::string_view s) {
  if (s.size() == 25 && s[0] == ' ') s.remove_prefix(1);
  auto bad = [] { throw SyntaxError("Invalid date-time (want \"01-Feb-2024 10:00:00 +0000\")"); };
  if (s.size() != 26 && s.size() != 25) bad();
  const std::size_t d = s.size() == 26 ? 2 : 1;  // digits of the day
  auto num = [&](std::size_t at, std::size_t n) {
    std::uint64_t v = 0;
    if (!parse_number(s.substr(at, n), v)) bad();
    return static_cast<int>(v);
  };
  const int day = num(0, d);
  if (s[d] != '-' || s[d + 4] != '-' || s[d + 9] != ' ' || s[d + 12] != ':' ||
      s[d + 15] != ':' || s[d + 18] != ' ' || (s[d + 19] != '+' && s[d + 19] != '-'))
    bad();
  int month = 0;
  for (int i = 0; i < 12; ++i)
    if (iequals(s.substr(d + 1, 3), kMonths[i])) month = i + 1;
  const int year = num(d + 5, 4), hour = num(d + 10, 2), minute = num(d + 13, 2),
            second = num(d + 16, 2), zone = num(d + 20, 4);
  if (month == 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) bad();
  const int offset = (zone / 100) * 60 + zone % 100;
  return mime::unix_time(
      {year, month, day, hour, minute, second, s[d + 19] == '-' ? -offset : offset});
}

std::string format_date_time(std::int64_t seconds) {
  const std::time_t tt = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02d-%s-%04d %02d:%02d:%02d +0000", tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace mailroom::imap
