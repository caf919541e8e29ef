# SPDX-License-Identifier: Apache-2.0
"""Arrays from other frameworks and devices through synthfx.engine, on any machine.

CUDA arrays are stood in for by a DLPack producer that claims CUDA memory: the engine must turn
them away (CPU backend, mixed devices, no CUDA) before it reads a pixel. Real CUDA arrays are
tested in test_cuda.py.
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from synthfx.engine import cuda_available, last_cuda_peak_bytes, synthesize
from synthfx.errors import DeviceUnavailableError, EngineError

FAST = {"search_vote_iters": 2, "patchmatch_iters": 2, "threads": 2}
KDL_CUDA = 2  # dlpack.h DLDeviceType


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", _DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", _DLDataType),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("strides", ctypes.POINTER(ctypes.c_int64)),
        ("byte_offset", ctypes.c_uint64),
    ]


class _DLManagedTensor(ctypes.Structure):
    _fields_ = [
        ("dl_tensor", _DLTensor),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),  # NULL: this object keeps the memory alive
    ]


_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


class FakeCudaArray:
    """float32 (H, W, C) array that reports CUDA memory over DLPack; its pointer is host memory,
    so nothing may read it."""

    def __init__(self, shape: tuple[int, int, int], device_id: int = 0) -> None:
        self.shape = shape
        self.dtype = "float32"
        self._host = np.zeros(shape, np.float32)
        self._shape = (ctypes.c_int64 * 3)(*shape)
        self._device_id = device_id
        self._tensors: list[_DLManagedTensor] = []

    def __dlpack_device__(self) -> tuple[int, int]:
        return KDL_CUDA, self._device_id

    def __dlpack__(self, **_: object) -> object:
        tensor = _DLManagedTensor()
        tensor.dl_tensor.data = self._host.ctypes.data
        tensor.dl_tensor.device = _DLDevice(KDL_CUDA, self._device_id)
        tensor.dl_tensor.ndim = 3
        tensor.dl_tensor.dtype = _DLDataType(2, 32, 1)  # kDLFloat, 32 bits
        tensor.dl_tensor.shape = self._shape
        self._tensors.append(tensor)
        return _capsule_new(ctypes.addressof(tensor), b"dltensor", None)


@pytest.fixture
def host() -> np.ndarray:
    noise = np.random.default_rng(3).random((40, 48, 3), dtype=np.float32)
    return noise


@pytest.mark.parametrize("backend", ["cpu", "auto"])
def test_exception_cuda_input_on_cpu_backend(backend: str) -> None:
    style, guide = FakeCudaArray((40, 48, 3)), FakeCudaArray((40, 48, 3))
    with pytest.raises(EngineError, match="CUDA device memory") as info:
        synthesize(style, [(guide, guide, 1.0)], backend=backend)
    assert info.value.code == "invalid_argument"
    assert f"backend is {backend}" in str(info.value) and "use backend cuda" in str(info.value)


def test_exception_mixed_devices(host: np.ndarray) -> None:
    device = FakeCudaArray(host.shape)
    with pytest.raises(EngineError, match="guide 0 target lies on cuda:0 but the style image on"):
        synthesize(host, [(host, device, 1.0)], backend="cpu")
    with pytest.raises(EngineError, match="source_mask lies on the host but the style image"):
        synthesize(
            device, [(device, device, 1.0)], source_mask=host[..., :1].copy(), backend="cuda"
        )
    other = FakeCudaArray(host.shape, device_id=1)
    with pytest.raises(EngineError, match="lies on cuda:1 but the style image on cuda:0"):
        synthesize(device, [(device, other, 1.0)], backend="cuda")


def test_exception_cuda_input_without_cuda() -> None:
    available, _ = cuda_available()
    if available:
        pytest.skip("a CUDA device is present: the fake array's host pointer would be read")
    style = FakeCudaArray((40, 48, 3))
    with pytest.raises(DeviceUnavailableError, match="CUDA backend unavailable"):
        synthesize(style, [(style, style, 1.0)], backend="cuda")


def test_exception_device_dtype_and_shape() -> None:
    flat = FakeCudaArray((40, 48, 3))
    flat.shape = (40 * 48 * 3,)  # type: ignore[assignment]
    with pytest.raises(EngineError, match=r"style must be \(H, W\) or \(H, W, C\)"):
        synthesize(flat, backend="cuda")
    ints = FakeCudaArray((40, 48, 3))
    ints.dtype = "uint8"
    with pytest.raises(EngineError, match="style must be a float array, got dtype uint8"):
        synthesize(ints, backend="cuda")


def test_torch_cpu_tensors_match_numpy(host: np.ndarray) -> None:
    torch = pytest.importorskip("torch")
    guide = np.ascontiguousarray(host[..., ::-1])
    expected = synthesize(host, [(guide, guide, 2.0)], **FAST)
    result = synthesize(
        torch.from_numpy(host), [(torch.from_numpy(guide), torch.from_numpy(guide), 2.0)], **FAST
    )
    assert isinstance(result.image, np.ndarray)
    assert np.array_equal(result.image, expected.image)
    assert np.array_equal(result.nnf, expected.nnf)


def test_peak_bytes_untouched_by_cpu_runs(host: np.ndarray) -> None:
    before = last_cuda_peak_bytes()
    assert isinstance(before, int) and before >= 0
    synthesize(host, [(host, host, 1.0)], backend="cpu", **FAST)
    assert last_cuda_peak_bytes() == before
    if not cuda_available()[0]:
        assert before == 0  # no CUDA synthesis can have run
