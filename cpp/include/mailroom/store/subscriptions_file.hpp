// An account's subscribed folder names (IMAP SUBSCRIBE, RFC 9051 §6.3.7) as
// Dovecot keeps them in the `subscriptions` file at the root of a Maildir:
// the header "V\t2\n\n", then one name a line with its hierarchy levels
// joined by TAB, each level tab-escaped (\001 before '1', 't', 'r', 'n' for
// \001, TAB, CR, LF). A file without the header is Dovecot's first version:
// one name a line, as written.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailroom::store {

std::string format_subscriptions(const std::vector<std::string>& names);
// Names in the file's order; empty lines are skipped.
std::vector<std::string> parse_subscriptions(std::string_view file);

}  // namespace mailroom::store
