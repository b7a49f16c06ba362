// mailroom._core's mail-as-data side: reading archives (mbox framing, batches
// of messages parsed on native threads) and writing them back.
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "mailroom/mime/message.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

void register_archive(py::module_& m) {
  m.def(
      "envelope_line",
      [](const mime::ParsedMessage& p, std::int64_t i) -> py::object {
        if (i < 0 || static_cast<std::uint64_t>(i) >= p.parts.size())
          throw py::index_error("part index out of range");
        const mime::Span s = p.parts[static_cast<std::size_t>(i)].envelope_line;
        if (s.size() == 0) return py::none();
        const std::string_view v = p.bytes(s);
        return py::bytes(v.data(), v.size());
      },
      py::arg("message"), py::arg("i") = 0,
      "The leading \"From \" envelope line of part i (mbox, RFC 4155), or None.");
}

}  // namespace mailroom::bindings
