#include "register.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

void register_message(py::module_& m) { (void)m; }

}  // namespace mailroom::bindings
