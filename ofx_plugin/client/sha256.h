// SPDX-License-Identifier: Apache-2.0
// SHA-256 (FIPS 180-4) of a byte range as lowercase hex: the protocol's content hash. Written
// here so the client library needs no crypto library.
#pragma once

#include <cstddef>
#include <string>

namespace synthfx::ofx {

std::string sha256Hex(const void *data, size_t size);

} // namespace synthfx::ofx
