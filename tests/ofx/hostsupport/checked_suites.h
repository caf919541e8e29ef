// SPDX-License-Identifier: Apache-2.0
// Copies of HostSupport's property, parameter and image effect suites whose every function
// reports (report.h) when it answers the plugin with an error: a property HostSupport does not
// define on that set, a mistyped one, a bad index, an unknown clip or param. The variadic param
// value calls cannot be forwarded and reach HostSupport directly.
#pragma once

namespace hostsupport {

// The checked copy of the suite `real` (HostSupport's), or `real` for suites not checked.
const void* checkedSuite(const char* name, int version, const void* real);
// How many calls went through the checked suites (the plugin uses them, not HostSupport's).
long checkedCalls();

}  // namespace hostsupport
