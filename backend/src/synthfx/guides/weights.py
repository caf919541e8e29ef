# SPDX-License-Identifier: Apache-2.0
"""Default guide weights (Ezsynth's defaults but the edge's), for guides in [0, 1] float units.

The defaults of ``StylizeOptions`` (whose schema describes them); written here because the
guides, which the pipeline imports, use them too.

The engine spreads each weight over its guide's channels and scales differences by 255, so these
mean the same as in Ebsynth's byte images.
"""

from __future__ import annotations

# Ezsynth's is 1. 5 follows the frame's own edges where the motion is fast (bench/quality.py,
# issue 19: +0.03 to +0.27 dB on every case over dis-fine and 2 px seam softening; 3 gave
# +0.02 to +0.16).
EDGE_WEIGHT = 5.0
IMAGE_WEIGHT = 6.0
POSITIONAL_WEIGHT = 2.0
TEMPORAL_WEIGHT = 0.5  # the warped previous stylized frame
# Weight of the mask guide when the mask is applied before synthesis: strong enough that
# patches inside the mask come from inside the keyframe's mask.
MASK_WEIGHT = 10.0
