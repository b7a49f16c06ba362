// parse_date: RFC 5322 §3.3 date-time and the obsolete forms of §4.3, plus the
// asctime-like order some old software writes ("Mon Jan  2 15:04:05 2006").
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/header_fields.hpp"

namespace mailroom::mime {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

std::string upper_str(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = upper(c);
  return o;
}

int month_number(std::string_view tok) {
  if (tok.size() < 3) return 0;
  static const char* names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  std::string u = upper_str(tok.substr(0, 3));
  for (int i = 0; i < 12; ++i)
    if (u == names[i]) return i + 1;
  return 0;
}

bool is_day_name(std::string_view tok) {
  if (tok.size() < 3) return false;
  static const char* names[] = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};
  std::string u = upper_str(tok.substr(0, 3));
  for (const char* n : names)
    if (u == n) return true;
  return false;
}

// Zone name → minutes east of UTC; false when unknown.
bool zone_name(std::string_view tok, int& minutes, bool& unknown) {
  std::string u = upper_str(tok);
  struct Z { const char* name; int hours; };
  static const Z zones[] = {{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0},
                            {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
                            {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
  for (const Z& z : zones) {
    if (u == z.name) {
      minutes = z.hours * 60;
      unknown = false;
      return true;
    }
  }
  minutes = 0;
  unknown = true;  // military zones and anything else: RFC 5322 §4.3 says -0000
  return u.size() == 1 || u.size() <= 5;
}

bool parse_int(std::string_view s, int& v) {
  if (s.empty() || s.size() > 9) return false;
  v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  return true;
}

int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return d[m - 1];
}

}  // namespace

std::optional<DateTime> parse_date(std::string_view raw) {
  // Tokens: comments dropped, split on whitespace and commas.
  std::vector<std::string_view> toks;
  std::size_t i = 0;
  while (i < raw.size()) {
    char c = raw[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
      ++i;
    } else if (c == '(') {
      int level = 0;
      while (i < raw.size()) {
        char x = raw[i++];
        if (x == '\\') {
          if (i < raw.size()) ++i;
        } else if (x == '(') {
          ++level;
        } else if (x == ')' && --level == 0) {
          break;
        }
      }
    } else {
      std::size_t b = i;
      while (i < raw.size() && raw[i] != ' ' && raw[i] != '\t' && raw[i] != '\r' &&
             raw[i] != '\n' && raw[i] != ',' && raw[i] != '(') {
        // "+0100" glued to a time: split at the sign
        if ((raw[i] == '+' || raw[i] == '-') && i > b) break;
        ++i;
      }
      toks.push_back(raw.substr(b, i - b));
      if (toks.size() > 16) return std::nullopt;
    }
  }

  DateTime dt;
  int day = -1, year = -1, year_digits = 0, month = 0;
  bool have_time = false, have_zone = false;
  for (std::size_t k = 0; k < toks.size(); ++k) {
    std::string_view t = toks[k];
    if (t.find(':') != std::string_view::npos) {
      if (have_time) return std::nullopt;
      int parts[3] = {0, 0, 0};
      int n = 0;
      std::size_t p = 0;
      while (p <= t.size()) {
        std::size_t q = t.find(':', p);
        if (q == std::string_view::npos) q = t.size();
        if (n >= 3 || q - p == 0 || q - p > 2 || !parse_int(t.substr(p, q - p), parts[n]))
          return std::nullopt;
        ++n;
        p = q + 1;
      }
      if (n < 2) return std::nullopt;
      dt.hour = parts[0];
      dt.minute = parts[1];
      dt.second = parts[2];
      have_time = true;
    } else if ((t[0] == '+' || t[0] == '-') && t.size() == 5) {
      int v;
      if (have_zone || !parse_int(t.substr(1), v)) return std::nullopt;
      int hh = v / 100, mm = v % 100;
      if (mm > 59) return std::nullopt;
      dt.offset_minutes = (t[0] == '-' ? -1 : 1) * (hh * 60 + mm);
      dt.offset_unknown = (t == "-0000");
      have_zone = true;
    } else if (is_digit(t[0])) {
      int v;
      if (!parse_int(t, v)) {
        // "2006." and the like
        std::size_t e = 0;
        while (e < t.size() && is_digit(t[e])) ++e;
        if (e == 0 || e > 4 || !parse_int(t.substr(0, e), v)) return std::nullopt;
        t = t.substr(0, e);
      }
      if (day < 0 && t.size() <= 2 && (month == 0 || year < 0)) {
        day = v;
      } else if (year < 0) {
        year = v;
        year_digits = static_cast<int>(t.size());
      } else {
        return std::nullopt;
      }
    } else if (is_alpha(t[0])) {
      int m = month_number(t);
      if (m && month == 0 && (t.size() == 3 || t.size() >= 3)) {
        month = m;
      } else if (is_day_name(t) && !have_time) {
        // optional day of week
      } else if (!have_zone && have_time) {
        std::string_view z = t;
        if (!zone_name(z, dt.offset_minutes, dt.offset_unknown)) return std::nullopt;
        have_zone = true;
      } else {
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
  }
  if (day < 0 || year < 0 || month == 0 || !have_time) return std::nullopt;
  if (!have_zone) dt.offset_unknown = true;
  if (year_digits <= 2) year += (year < 50) ? 2000 : 1900;
  else if (year_digits == 3) year += 1900;
  if (year < 1 || year > 9999) return std::nullopt;
  if (dt.hour > 23 || dt.minute > 59 || dt.second > 60) return std::nullopt;
  if (day < 1 || day > days_in_month(year, month)) return std::nullopt;
  if (dt.offset_minutes > 99 * 60 + 59 || dt.offset_minutes < -(99 * 60 + 59))
    return std::nullopt;
  dt.year = year;
  dt.month = month;
  dt.day = day;
  return dt;
}

std::int64_t unix_time(const DateTime& d) {
  // days from civil (Howard Hinnant's algorithm), proleptic Gregorian
  const std::int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (d.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + d.hour * 3600 + d.minute * 60 + d.second -
         std::int64_t{d.offset_minutes} * 60;
}

}  // namespace mailroom::mime
