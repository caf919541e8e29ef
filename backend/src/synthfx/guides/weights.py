# SPDX-License-Identifier: Apache-2.0
"""Default guide weights (Ezsynth's defaults), for guides in [0, 1] float units.

The defaults of ``StylizeOptions`` (whose schema describes them); written here because the
guides, which the pipeline imports, use them too.

The engine spreads each weight over its guide's channels and scales differences by 255, so these
mean the same as in Ebsynth's byte images.
"""

from __future__ import annotations

EDGE_WEIGHT = 1.0
IMAGE_WEIGHT = 6.0
POSITIONAL_WEIGHT = 2.0
TEMPORAL_WEIGHT = 0.5  # the warped previous stylized frame
# Weight of the mask guide when the mask is applied before synthesis: strong enough that
# patches inside the mask come from inside the keyframe's mask.
MASK_WEIGHT = 10.0
