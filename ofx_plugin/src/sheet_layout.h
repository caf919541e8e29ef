// SPDX-License-Identifier: Apache-2.0
// What the plugin reads of a key sheet layout (SHEET.json, synthfx.sheet.layout): the plate's
// size and the cells' frames, so Stylize knows its keyframes and segments. The backend reads
// and checks the whole layout; this reads only enough JSON for those fields.
#pragma once

#include <string>
#include <vector>

namespace synthfx::ofx {

struct SheetLayoutInfo {
    int plateWidth = 0;
    int plateHeight = 0;
    std::vector<int> frames;  // in cell order
};

// Throws std::invalid_argument naming what is wrong (bad JSON, a missing field).
SheetLayoutInfo parseSheetLayout(const std::string& json);

// The file's text; throws std::invalid_argument naming the path when it cannot be read.
std::string readTextFile(const std::string& path);

}  // namespace synthfx::ofx
