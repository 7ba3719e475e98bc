// The simulator half of `mqttsim._core` (sim_module.cpp): scenario loading, runs, ledger arrays.
// module.cpp, which holds the codec half, calls add_sim_bindings from PYBIND11_MODULE.
#pragma once

#include <pybind11/pybind11.h>

namespace mqttsim::bindings {

void add_sim_bindings(pybind11::module_& m);

}  // namespace mqttsim::bindings
