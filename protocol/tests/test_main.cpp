// The single Catch2 main for every protocol test file; RapidCheck properties run inside Catch2
// test cases through rapidcheck/catch.h.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
