// ServerSession: LIST and LSUB (RFC 9051 §6.3.9, RFC 3501 §6.3.9) with
// LIST-EXTENDED (RFC 5258: selection options SUBSCRIBED, REMOTE,
// RECURSIVEMATCH and SPECIAL-USE of RFC 6154; return options SUBSCRIBED,
// CHILDREN, SPECIAL-USE; several patterns) and LIST-STATUS (RFC 5819:
// RETURN (STATUS (...))).
#include <algorithm>
#include <map>
#include <set>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/mutf7.hpp"

namespace mailroom::imap {

namespace {

// LIST wildcards (RFC 9051 §6.3.9): '*' matches anything, '%' anything but
// the hierarchy separator. Dynamic programming: linear in name x pattern.
bool wildcard_match(std::string_view pattern, std::string_view name) {
  std::vector<char> row(name.size() + 1, 0), next(name.size() + 1, 0);
  row[0] = 1;
  for (char p : pattern) {
    std::fill(next.begin(), next.end(), 0);
    if (p == '*' || p == '%') {
      bool reach = false;
      for (std::size_t j = 0; j <= name.size(); ++j) {
        if (row[j]) reach = true;
        next[j] = reach;
        if (p == '%' && j < name.size() && name[j] == store::kFolderSeparator) reach = false;
      }
    } else {
      for (std::size_t j = 0; j < name.size(); ++j)
        if (row[j] && name[j] == p) next[j + 1] = 1;
    }
    row.swap(next);
  }
  return row[name.size()] != 0;
}

struct ListQuery {
  bool extended = false;  // RFC 5258 syntax was used
  // Selection options.
  bool subscribed = false, remote = false, recursive = false, special_use = false;
  // Return options.
  bool ret_subscribed = false, ret_children = false, ret_special_use = false;
  std::vector<std::string> status;  // LIST-STATUS items
  std::vector<std::string> patterns;  // as on the wire
};

bool is_descendant(std::string_view name, std::string_view parent) {
  return name.size() > parent.size() && name.compare(0, parent.size(), parent) == 0 &&
         name[parent.size()] == store::kFolderSeparator;
}

}  // namespace

void ServerSession::cmd_list(const std::string& tag, Arguments& a, bool lsub,
                             std::vector<Output>& out) {
  ListQuery q;
  a.sp();
  if (!lsub && a.peek('(')) {
    q.extended = true;
    read_option_list(a, [&](const std::string& o) {
      if (o == "SUBSCRIBED") q.subscribed = true;
      else if (o == "REMOTE") q.remote = true;  // no remote mailboxes here
      else if (o == "RECURSIVEMATCH") q.recursive = true;
      else if (o == "SPECIAL-USE") q.special_use = true;  // RFC 6154 §3
      else a.fail("Unknown LIST selection option " + o);
    });
    // RFC 5258 §3: RECURSIVEMATCH only qualifies another option.
    if (q.recursive && !q.subscribed && !q.special_use)
      a.fail("RECURSIVEMATCH needs SUBSCRIBED or SPECIAL-USE");
    a.sp();
  }
  const std::string reference = a.astring();
  a.sp();
  if (!lsub && a.peek('(')) {
    q.extended = true;
    a.expect('(');
    while (true) {
      q.patterns.push_back(a.list_mailbox());
      if (q.patterns.size() > 100) a.fail("Too many LIST patterns");
      if (a.take(')')) break;
      a.sp();
    }
  } else {
    q.patterns.push_back(a.list_mailbox());
  }
  if (!lsub && a.try_sp()) {
    q.extended = true;
    if (!a.take_word("RETURN")) a.fail("Expected RETURN");
    a.sp();
    read_option_list(a, [&](const std::string& o) {
      if (o == "SUBSCRIBED") q.ret_subscribed = true;
      else if (o == "CHILDREN") q.ret_children = true;
      else if (o == "SPECIAL-USE") q.ret_special_use = true;
      else if (o == "STATUS") {
        a.sp();
        q.status = read_status_items(a);  // RFC 5819 §2
      } else {
        a.fail("Unknown LIST return option " + o);
      }
    });
  }
  a.end();
  const char* verb = lsub ? "LSUB" : "LIST";
  if (q.patterns.size() == 1 && q.patterns[0].empty() && !q.extended) {
    // RFC 9051 §6.3.9: the hierarchy delimiter and root name.
    if (!lsub) untagged(std::string(verb) + " (\\Noselect) \"/\" \"\"");
    return tagged(out, tag, "OK", std::string(verb) + " completed");
  }
  std::string ref;
  std::vector<std::string> patterns;
  try {
    ref = from_modified_utf7(reference);
    for (const auto& p : q.patterns) {
      if (p.empty()) continue;
      std::string pattern = from_modified_utf7(p);
      if (!ref.empty() && pattern.front() != store::kFolderSeparator) {
        std::string r = ref;
        if (r.back() != store::kFolderSeparator) r.push_back(store::kFolderSeparator);
        pattern = r + pattern;
      }
      if (istarts_with(pattern, "INBOX") &&
          (pattern.size() == 5 || pattern[5] == store::kFolderSeparator))
        pattern.replace(0, 5, "INBOX");
      patterns.push_back(std::move(pattern));
    }
  } catch (const InvalidModifiedUtf7&) {
    return tagged(out, tag, "OK", std::string(verb) + " completed");  // names no folder
  }
  auto matches = [&](const std::string& n) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& p) { return wildcard_match(p, n); });
  };

  const auto folders = store_.list_folders(account_);
  std::map<std::string, std::string> exists;  // name -> special use
  for (const auto& f : folders) exists[f.name] = f.special_use;
  std::set<std::string> names;  // folders and their implied parents
  auto add_with_parents = [](std::set<std::string>& to, const std::string& n) {
    to.insert(n);
    for (std::size_t p = n.find(store::kFolderSeparator); p != std::string::npos;
         p = n.find(store::kFolderSeparator, p + 1))
      to.insert(n.substr(0, p));
  };
  for (const auto& [n, use] : exists) add_with_parents(names, n);
  auto has_children = [&](const std::string& n) {
    auto it = names.upper_bound(n);
    return it != names.end() && is_descendant(*it, n);
  };
  std::set<std::string> subscribed;
  if (lsub || q.subscribed || q.ret_subscribed) subscribed = handler_.subscriptions(account_);

  // The names to consider, and which of them only qualify through a
  // descendant (RECURSIVEMATCH, RFC 5258 §3.5: CHILDINFO).
  std::set<std::string> candidates;
  if (lsub) {
    candidates = subscribed;
  } else if (q.subscribed || q.special_use) {
    for (const auto& n : q.subscribed ? subscribed : names) {
      if (q.special_use) {
        auto e = exists.find(n);
        if (e == exists.end() || e->second.empty()) continue;
      }
      if (q.recursive)
        add_with_parents(candidates, n);
      else
        candidates.insert(n);
    }
  } else {
    candidates = names;
  }
  auto selected_by_options = [&](const std::string& n) {
    if (q.subscribed && !subscribed.count(n)) return false;
    if (q.special_use) {
      auto e = exists.find(n);
      if (e == exists.end() || e->second.empty()) return false;
    }
    return true;
  };
  for (const auto& n : candidates) {
    if (!matches(n)) continue;
    const bool chosen = lsub || selected_by_options(n);
    bool child_info = false;
    if (q.recursive) {
      for (auto it = candidates.upper_bound(n); it != candidates.end() && is_descendant(*it, n); ++it)
        if (selected_by_options(*it) && !matches(*it)) child_info = true;
      if (!chosen && !child_info) continue;
    }
    std::string attrs;
    auto add = [&](std::string_view at) {
      if (!attrs.empty()) attrs.push_back(' ');
      attrs += at;
    };
    auto e = exists.find(n);
    const bool real = e != exists.end();
    if (!real && !lsub && !names.count(n))
      add("\\NonExistent");  // RFC 5258 §3.4 (implies \Noselect)
    else if (!real)
      add("\\Noselect");
    if (!lsub && names.count(n)) add(has_children(n) ? "\\HasChildren" : "\\HasNoChildren");
    if (!lsub && real && !e->second.empty()) add(e->second);
    if ((q.subscribed || q.ret_subscribed) && subscribed.count(n)) add("\\Subscribed");
    std::string line = std::string(verb) + " (" + attrs + ") \"/\" " + wire_name(n);
    if (child_info)
      line += q.subscribed ? " (\"CHILDINFO\" (\"SUBSCRIBED\"))" : " (\"CHILDINFO\" (\"SPECIAL-USE\"))";
    untagged(line);
    if (!q.status.empty() && real) {
      // RFC 5819 §2: STATUS right after the LIST of a selectable mailbox.
      try {
        untagged(status_line(n, q.status));
      } catch (const store::StoreError&) {
      }
    }
  }
  tagged(out, tag, "OK", std::string(verb) + " completed");
}

}  // namespace mailroom::imap
