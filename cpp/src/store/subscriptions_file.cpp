// The `subscriptions` file in Dovecot's format (see subscriptions_file.hpp).
#include "mailroom/store/subscriptions_file.hpp"

#include "mailroom/store/folder_name.hpp"

namespace mailroom::store {

namespace {

void tab_escape(std::string& out, std::string_view level) {
  for (char c : level) {
    switch (c) {
      case '\001': out += "\001" "1"; break;
      case '\t': out += "\001t"; break;
      case '\r': out += "\001r"; break;
      case '\n': out += "\001n"; break;
      default: out.push_back(c);
    }
  }
}

std::string tab_unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\001' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char e = s[++i];
    out.push_back(e == '1' ? '\001' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'n' ? '\n' : e);
  }
  return out;
}

}  // namespace

std::string format_subscriptions(const std::vector<std::string>& names) {
  std::string out = "V\t2\n\n";
  for (const auto& name : names) {
    std::size_t start = 0;
    while (true) {
      const std::size_t sep = name.find(kFolderSeparator, start);
      tab_escape(out, std::string_view(name).substr(start, sep - start));
      if (sep == std::string::npos) break;
      out.push_back('\t');
      start = sep + 1;
    }
    out.push_back('\n');
  }
  return out;
}

std::vector<std::string> parse_subscriptions(std::string_view file) {
  constexpr std::string_view header = "V\t2\n\n";
  const bool v2 = file.substr(0, header.size()) == header;
  if (v2) file.remove_prefix(header.size());
  std::vector<std::string> names;
  while (!file.empty()) {
    const std::size_t lf = file.find('\n');
    std::string_view line = file.substr(0, lf);
    file.remove_prefix(lf == std::string_view::npos ? file.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (!v2) {
      names.emplace_back(line);
      continue;
    }
    std::string name;
    std::size_t start = 0;
    while (true) {
      const std::size_t tab = line.find('\t', start);
      name += tab_unescape(line.substr(start, tab - start));
      if (tab == std::string_view::npos) break;
      name.push_back(kFolderSeparator);
      start = tab + 1;
    }
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace mailroom::store
