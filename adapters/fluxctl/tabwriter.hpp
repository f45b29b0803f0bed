#pragma once

#include <string>

namespace fluxd::fluxctl {

/// Go's text/tabwriter as fluxctl configures it (minwidth 0, tabwidth 2,
/// padding 2, pad char ' ', no flags): cells end at '\t', a column's width
/// is set per block of consecutive lines that have that cell, and the last
/// cell of a line is not aligned. Byte-exact, trailing spaces included,
/// because Flux v1's e2e tests compare fluxctl's output byte for byte.
std::string tabwrite(const std::string& text);

} // namespace fluxd::fluxctl
