// SPDX-License-Identifier: Apache-2.0
// Which source pixels may centre a patch on a pyramid level, shared by the CPU and CUDA backends.
#pragma once

#include "host_device.h"

namespace synthfx {

struct CentreRange {
    int min_x = 0, max_x = 0, min_y = 0, max_y = 0;

    SYNTHFX_HD bool contains(int x, int y) const {
        return x >= min_x && x <= max_x && y >= min_y && y <= max_y;
    }
};

// Intermediate levels keep centres a patch radius inside the source: a patch centred on the
// border votes its replicated padding into the target, and the next levels carry those streaks
// inward where content enters the frame. The coarsest level is open (it is too small to spare
// its border) and so is the finest, where a target pixel at the border must be able to copy the
// source pixel at the same place (an identity job stays exact). A source mask already says where
// patches may come from, so masked jobs keep every level open.
SYNTHFX_HD bool centres_open(int level, int level_count) {
    return level == 0 || level == level_count - 1;
}

SYNTHFX_HD CentreRange centre_range(int sw, int sh, int radius, int level, int level_count,
                                    bool masked) {
    if (masked || centres_open(level, level_count) || sw <= 2 * radius || sh <= 2 * radius) {
        return {0, sw - 1, 0, sh - 1};
    }
    return {radius, sw - 1 - radius, radius, sh - 1 - radius};
}

// Whether the finest level, entered from an interior level, must first search the guides alone
// at target pixel (x, y). Within 2r of the border pixels came up matched to interior patches (the
// coarser level's r, scaled), another 2r hold votes of those patches, and the style term would
// keep both to what was voted (an HDR identity job locks there without this search).
SYNTHFX_HD bool needs_border_search(int x, int y, int tw, int th, int radius) {
    const int band = 4 * radius + 2;
    return x < band || y < band || x >= tw - band || y >= th - band;
}

SYNTHFX_HD bool enters_open_from_interior(int level, int level_count, bool masked) {
    return !masked && level > 0 && centres_open(level, level_count) &&
           !centres_open(level - 1, level_count);
}

}  // namespace synthfx
