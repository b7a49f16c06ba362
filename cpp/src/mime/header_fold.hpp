// Internal helpers shared by the header encoders and the message builder.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailroom::mime::detail {

inline constexpr std::size_t kMaxHeaderLine = 78;

// Folds an ASCII structured value (address list, parameters) with CRLF at its
// spaces outside quoted strings, so no line exceeds 78 columns where possible
// counting the "Name: " prefix of a `name_len`-octet field name.
std::string fold_at_spaces(std::string_view ascii_value, std::size_t name_len);

}  // namespace mailroom::mime::detail
