// SPDX-License-Identifier: Apache-2.0
// Keyframes and the segment of frames a frame depends on (the pipeline's planning rule).
#pragma once

#include <string>
#include <vector>

namespace synthfx::ofx {

// Frames in "1, 24, 60" (commas or spaces); throws std::invalid_argument naming a bad entry.
std::vector<int> parseKeyList(const std::string &text);

// Sorted, unique keyframes inside [first, last].
std::vector<int> normalizeKeys(std::vector<int> keys, int first, int last);

struct Segment {
    int first = 0;
    int last = 0;
};

// Frames `frame` needs: between keys k_i <= t <= k_(i+1) that is [k_i, k_(i+1)]; before the first
// key [first, k_0]; after the last [k_n, last]; a key: both segments it touches.
Segment segmentFor(int frame, const std::vector<int> &keys, int first, int last);

} // namespace synthfx::ofx
