# SPDX-License-Identifier: Apache-2.0
"""Dense Inverse Search optical flow (Kroeger et al. 2016) through OpenCV.

OpenCV's DIS works on 8-bit single-channel images, so frames are reduced to Rec. 709 luma,
clipped to [0, 1] and rounded to 8 bit. Values above 1 (HDR, scene-linear) are lost to the
clip and dark linear footage keeps few grey levels: pass display-referred frames for best
results.
"""

from __future__ import annotations

import cv2
import numpy as np

from synthfx.errors import InputError
from synthfx.flow.base import check_frame_pair, to_rgb

DIS_PRESETS: dict[str, int] = {
    "dis-ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "dis-fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "dis-medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
    "dis-fine": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}
# Settings over OpenCV's preset. dis-fine: medium searched down to full resolution (medium stops
# at half), without mean normalisation and without the variational refinement (at full
# resolution it smooths motion edges more than it fixes). On bench/quality.py's excerpts the
# keys carried along it are 0.7-3 dB closer to the truth than along medium; 2-3x medium's time.
_DIS_SETTINGS: dict[str, dict[str, object]] = {
    "dis-fine": {
        "FinestScale": 0,
        "UseMeanNormalization": False,
        "VariationalRefinementIterations": 0,
    },
}

_LUMA_709 = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def to_grey8(frame: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of a frame, clipped to [0, 1], as (H, W) uint8."""
    luma = to_rgb(frame) @ _LUMA_709
    return np.rint(np.clip(luma, 0.0, 1.0) * 255.0).astype(np.uint8)


class DisFlow:
    """OpenCV DIS flow with one of the presets in ``DIS_PRESETS``.

    A fresh OpenCV object per call keeps ``compute`` safe to call from several threads.
    """

    def __init__(self, preset: str = "dis-medium") -> None:
        if preset not in DIS_PRESETS:
            raise InputError(f"unknown DIS preset {preset!r} (use {', '.join(DIS_PRESETS)})")
        self.preset = preset
        self.spec = preset
        self.fingerprint = f"{preset}:opencv-{cv2.__version__}"

    def __repr__(self) -> str:
        return f"DisFlow({self.preset!r})"

    def compute(self, frame_a: np.ndarray, frame_b: np.ndarray) -> np.ndarray:
        """Flow from A to B.

        Args:
            frame_a: (H, W) or (H, W, 1|3|4) float32, display-referred [0, 1].
            frame_b: Same shape as ``frame_a``.

        Returns:
            (H, W, 2) float32 ``flow_ab``: pixel (x, y) of A is at ``(x, y) + flow_ab[y, x]`` in B.
        """
        check_frame_pair(frame_a, frame_b)
        dis = cv2.DISOpticalFlow.create(DIS_PRESETS[self.preset])
        for name, value in _DIS_SETTINGS.get(self.preset, {}).items():
            getattr(dis, f"set{name}")(value)
        # cv2's stub wants an output array; None (allocate one) is what OpenCV documents.
        flow = dis.calc(to_grey8(frame_a), to_grey8(frame_b), None)  # type: ignore[call-overload]
        return np.ascontiguousarray(flow, dtype=np.float32)
