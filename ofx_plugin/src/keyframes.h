// SPDX-License-Identifier: Apache-2.0
// Keyframes and the segment of frames a frame depends on (the pipeline's planning rule).
#pragma once

#include <string>
#include <vector>

namespace synthfx::ofx {

// Frames in "1, 24, 60" (commas or spaces); throws std::invalid_argument naming a bad entry.
std::vector<int> parseKeyList(const std::string& text);

// Sorted, unique keyframes inside [first, last].
std::vector<int> normalizeKeys(std::vector<int> keys, int first, int last);

// The key sheet's auto keys (synthfx.sheet.auto_keys): grid * grid frames spread evenly over
// [first, last], first and last included; empty when the shot has fewer frames. The backend
// chooses the keys; this only says which frames to fetch for it.
std::vector<int> autoSheetKeys(int first, int last, int grid);

struct Segment {
    int first = 0;
    int last = 0;
};

// Frames `frame` needs: between keys k_i <= t <= k_(i+1) that is [k_i, k_(i+1)]; before the first
// key [first, k_0]; after the last [k_n, last]; a key: both segments it touches.
Segment segmentFor(int frame, const std::vector<int>& keys, int first, int last);

// A file name pattern read like `synthfx stylize` reads sequences (synthfx.io.sequences): one
// `####` or `%04d` (`%d`: unpadded) in the file name stands for the frame number, formatted like
// printf's %0Nd (the sign inside the width); without one the path is a single still file.
struct FramePattern {
    std::string directory;  // with its trailing '/', or empty
    std::string prefix;     // file name before the placeholder (the whole name for a still)
    std::string suffix;
    int padding = 0;
    bool still = true;
};

// Throws std::invalid_argument for two placeholders or one in a directory name.
FramePattern parseFramePattern(const std::string& path);
std::string framePath(const FramePattern& pattern, int frame);
// Frames of [first, last] whose file exists (empty for a still).
std::vector<int> existingFrames(const FramePattern& pattern, int first, int last);
// Every frame whose file exists, from a listing of the pattern's directory (sorted).
std::vector<int> existingFrames(const FramePattern& pattern);

}  // namespace synthfx::ofx
