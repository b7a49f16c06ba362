// What ParsedMessage gives Python of a part's decoded contents: its body as
// bytes or text, its decoded header fields, and all of these for a part and
// every part below it in one call (Part.decoded_parts()).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <vector>

#include "mailroom/mime/message.hpp"

namespace mailroom::bindings {

inline std::uint32_t check_index(const mime::ParsedMessage& m, std::int64_t i) {
  if (i < 0 || static_cast<std::uint64_t>(i) >= m.parts.size()) {
    throw pybind11::index_error("part index out of range");
  }
  return static_cast<std::uint32_t>(i);
}

// (bytes, bad): the body with its Content-Transfer-Encoding undone.
pybind11::tuple decoded_bytes(const mime::ParsedMessage& p, std::int64_t i);
// (str, bad): the body as text by its charset.
pybind11::tuple decoded_text(const mime::ParsedMessage& p, std::int64_t i);
// [(name, value)]: every header field, unfolded and RFC 2047 decoded.
pybind11::list decoded_headers(const mime::ParsedMessage& p, std::int64_t i);
// Part i and every part below it, depth first.
std::vector<std::uint32_t> walk_indices(const mime::ParsedMessage& p, std::int64_t i);
// [(index, headers, content)] of part i and every part below it; with
// make_part not None, make_part(index) in place of the index; with row not
// None, each row of that tuple type.
pybind11::list part_contents(const mime::ParsedMessage& p, std::int64_t i,
                             const pybind11::object& make_part, const pybind11::object& row);

}  // namespace mailroom::bindings
