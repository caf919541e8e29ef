// SPDX-License-Identifier: Apache-2.0
// The test host's image files: .npy arrays, (H, W, C) float32, C order, first row = top.
#pragma once

#include <string>
#include <vector>

namespace testhost {

struct Array {
    int height = 0, width = 0, channels = 0;
    std::vector<float> data;
};

// Throws std::runtime_error naming the file.
Array readNpy(const std::string& path);
void writeNpy(const std::string& path, const Array& array);

}  // namespace testhost
