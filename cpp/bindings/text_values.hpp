// Octets from C++ as Python str: Latin-1 (every octet kept, for envelope
// lines and header names as they were) or UTF-8 with undecodable octets as
// U+FFFD. And the parser's limits, as the bindings take them.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string_view>

#include "mailroom/mime/message.hpp"

namespace mailroom::bindings {

inline pybind11::str latin1_str(std::string_view v) {
  PyObject* o = PyUnicode_DecodeLatin1(v.data(), static_cast<Py_ssize_t>(v.size()), nullptr);
  if (!o) throw pybind11::error_already_set();
  return pybind11::reinterpret_steal<pybind11::str>(o);
}

inline pybind11::str utf8_str(std::string_view v) {
  PyObject* o = PyUnicode_DecodeUTF8(v.data(), static_cast<Py_ssize_t>(v.size()), "replace");
  if (!o) throw pybind11::error_already_set();
  return pybind11::reinterpret_steal<pybind11::str>(o);
}

inline mime::Limits parse_limits(std::uint32_t max_depth, std::uint32_t max_parts,
                                 std::uint64_t max_header_bytes, std::uint32_t max_headers) {
  mime::Limits lim;
  lim.max_depth = max_depth;
  lim.max_parts = max_parts;
  lim.max_header_bytes = max_header_bytes;
  lim.max_headers = max_headers;
  return lim;
}

}  // namespace mailroom::bindings
