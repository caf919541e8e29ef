// SPDX-License-Identifier: Apache-2.0
// The random search's widest window on a pyramid level, shared by the CPU and CUDA backends.
#pragma once

#include "host_device.h"

namespace synthfx {

// The coarsest level searches the whole source. Finer levels start from the upsampled coarser
// match, where windows wider than a sixteenth of the source almost never pay for their cache
// misses: on stylit at half size the finest level accepted 0.016-0.08% of the draws in its four
// widest windows (0.4-0.8% in the narrowest), and starting every finer level at a sixteenth left
// the shift known answer and bench/quality.py within 0.02 dB, for 11-14% less CPU time at stop
// threshold 0 (bench/README.md, "Figures behind choices in the code").
SYNTHFX_HD int search_window(int sw, int sh, int level) {
    const int side = sw > sh ? sw : sh;
    if (level == 0) return side;
    return side / 16 > 1 ? side / 16 : 1;
}

}  // namespace synthfx
