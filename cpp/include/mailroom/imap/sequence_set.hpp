// Sequence sets as numbers (RFC 9051 §9 sequence-set, uid-set): written from
// ascending numbers, and read back into them. Shared by the server (UIDPLUS
// codes) and the client (UID FETCH batches, SEARCH and VANISHED results).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailroom::imap {

// "1:3,5,7:9" for ascending numbers (UIDPLUS uid-set).
std::string compact_set(const std::vector<std::uint32_t>& numbers);

// "1:3,5" -> 1 2 3 5 (a range written high:low counts up as well). Throws
// SyntaxError (arguments.hpp) for what is not a sequence set of numbers, or
// when it would hold more than `max` numbers.
std::vector<std::uint32_t> expand_sequence_set(std::string_view set, std::size_t max);

}  // namespace mailroom::imap
