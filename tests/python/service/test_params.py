# SPDX-License-Identifier: Apache-2.0
"""Typed request parameters <-> pipeline options, both ways; the proto and the schema GetInfo
serves agree with the options dataclasses."""

from __future__ import annotations

import dataclasses
import re

import pytest
from google.protobuf.descriptor import FieldDescriptor

from synthfx.client.remote import deflicker_message, keyframe_message, stylize_message
from synthfx.deflicker import DEFLICKER_ENGINE_PARAMS, DeflickerOptions
from synthfx.engine import EZSYNTH_VIDEO_PARAMS, SynthesisParams
from synthfx.errors import InputError
from synthfx.keyframe import KEYFRAME_ENGINE_PARAMS, KeyframeOptions
from synthfx.pipeline import StylizeOptions
from synthfx.schema import options_of
from synthfx.schema_wire import enum_value_name
from synthfx.service.params import (
    deflicker_options,
    engine_params,
    keyframe_options,
    options_schema,
    sheet_options,
    stylize_options,
)
from synthfx.sheet import SheetOptions
from synthfx.v1 import synthfx_pb2 as pb

_PROTO_TYPES = {
    float: {FieldDescriptor.TYPE_DOUBLE},
    int: {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_UINT64},
    bool: {FieldDescriptor.TYPE_BOOL},
    str: {FieldDescriptor.TYPE_STRING},
}


def test_smoke_defaults() -> None:
    assert stylize_options(pb.StylizeParams(), None) == StylizeOptions()


def test_round_trip_every_option(tmp_path) -> None:
    (tmp_path / "raft-small.pth").write_bytes(b"weights")
    options = StylizeOptions(
        edge="page",
        flow="raft:/somewhere/else/raft-small.pth",
        only="reverse",
        edge_weight=0.5,
        image_weight=3.0,
        positional_weight=1.5,
        temporal_weight=0.25,
        mask_weight=7.0,
        mask_mode="before",
        feather=2.5,
        mask_output="over-source",
        screening=0.1,
        selection_smoothing=3.0,
        selection_softness=0.75,
        engine=dataclasses.replace(
            EZSYNTH_VIDEO_PARAMS, uniformity=1234.0, seed=77, vote_mode="weighted", threads=3
        ),
    )
    back = stylize_options(stylize_message(options), tmp_path)
    assert back == dataclasses.replace(options, flow=f"raft:{tmp_path / 'raft-small.pth'}")


def test_exception_options_map() -> None:
    message = pb.StylizeParams(edge=pb.EDGE_METHOD_PST, options={"edge": '"page"'})
    with pytest.raises(InputError, match=r"options\['edge'\] repeats a typed field"):
        stylize_options(message, None)
    forward = stylize_options(pb.StylizeParams(options={"screening": "0.5"}), None)
    assert forward.screening == 0.5


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (StylizeOptions, pb.StylizeParams),
        (SynthesisParams, pb.EngineParams),
        (DeflickerOptions, pb.DeflickerParams),
        (SheetOptions, pb.SheetParams),
        (KeyframeOptions, pb.KeyframeParams),
    ],
)
def test_proto_fields_match_schema(cls: type, message: type) -> None:
    fields = dict(message.DESCRIPTOR.fields_by_name)
    for opt in options_of(cls):
        field = fields.pop(opt.name)
        if opt.choices is not None:
            assert field.type == FieldDescriptor.TYPE_ENUM, opt.name
            enum = field.enum_type
            expected = {enum_value_name(enum.name, c) for c in opt.choices}
            assert {v.name for v in enum.values} == {enum_value_name(enum.name, "unspecified")} | (
                expected
            ), opt.name
            assert [v.name for v in enum.values][1:] == [
                enum_value_name(enum.name, c) for c in opt.choices
            ], opt.name
        else:
            assert field.type in _PROTO_TYPES[opt.kind], opt.name
            assert field.has_presence, f"{opt.name}: unset must differ from 0"
    extra = {
        StylizeOptions: {"engine", "options"},
        DeflickerOptions: {"engine"},
        KeyframeOptions: {"engine", "reference_weights"},
    }
    assert set(fields) == extra.get(cls, set())


def test_deflicker_options_round_trip() -> None:
    assert deflicker_options(pb.DeflickerParams()) == DeflickerOptions()
    assert deflicker_options(pb.DeflickerParams()).engine == DEFLICKER_ENGINE_PARAMS
    options = DeflickerOptions(
        mode="accurate", window=3, guide_weight=2.5, render_weight=0.0, error_falloff=0.5,
        engine=dataclasses.replace(DEFLICKER_ENGINE_PARAMS, patch_size=7, seed=9),
    )  # fmt: skip
    assert deflicker_options(deflicker_message(options)) == options
    partial = pb.DeflickerParams(window=4, engine=pb.EngineParams(patch_size=3))
    assert deflicker_options(partial) == DeflickerOptions(
        window=4, engine=dataclasses.replace(DEFLICKER_ENGINE_PARAMS, patch_size=3)
    )
    with pytest.raises(InputError, match=r"^window must be <= 64, got 65$"):
        deflicker_options(pb.DeflickerParams(window=65))
    with pytest.raises(InputError, match=r"^mode must be one of 'fast', 'balanced', 'accurate'"):
        deflicker_options(pb.DeflickerParams(mode=9))  # type: ignore[arg-type]


def test_schema_serves_every_default_set() -> None:
    specs = {s.name: s for s in options_schema().options}
    calls = (StylizeOptions, SynthesisParams, DeflickerOptions, SheetOptions, KeyframeOptions)
    assert len(specs) == sum(len(options_of(cls)) for cls in calls)
    video, image, flicker = StylizeOptions(), SynthesisParams(), DeflickerOptions()
    key = KeyframeOptions()
    for opt in options_of(SynthesisParams):
        spec = specs[f"engine.{opt.name}"]
        render, single, deflicker, keyframe = (getattr(s, s.WhichOneof("value")) for s in
                          (spec.render_default, spec.image_synth_default,
                           spec.deflicker_default, spec.keyframe_default))  # fmt: skip
        assert (render, single, deflicker, keyframe) == (
            getattr(video.engine, opt.name), getattr(image, opt.name),
            getattr(flicker.engine, opt.name), getattr(key.engine, opt.name),
        )  # fmt: skip
        assert spec.help == opt.info.help and spec.odd == opt.info.odd
        assert spec.HasField("minimum") == (opt.info.minimum is not None)
    assert not specs["only"].HasField("render_default") and specs["only"].may_be_unset
    assert specs["engine.backend"].offered_default.text_value == "auto"
    assert list(specs["edge"].choices) == ["classic", "pst", "page"]
    for opt in options_of(DeflickerOptions):
        spec = specs[f"deflicker.{opt.name}"]
        assert not spec.HasField("render_default") and spec.help == opt.info.help
        value = spec.deflicker_default
        assert getattr(value, value.WhichOneof("value")) == getattr(flicker, opt.name)
    assert list(specs["deflicker.mode"].choices) == ["fast", "balanced", "accurate"]
    sheet = SheetOptions()
    for opt in options_of(SheetOptions):
        spec = specs[f"sheet.{opt.name}"]
        assert not spec.HasField("render_default") and not spec.HasField("deflicker_default")
        value = spec.pack_sheet_default
        assert getattr(value, value.WhichOneof("value")) == getattr(sheet, opt.name)
    for opt in options_of(KeyframeOptions):
        spec = specs[f"keyframe.{opt.name}"]
        assert not spec.HasField("pack_sheet_default") and spec.help == opt.info.help
        value = spec.keyframe_default
        default = getattr(key, opt.name)
        assert spec.HasField("keyframe_default") == (default is not None), opt.name
        if default is not None:
            assert getattr(value, value.WhichOneof("value")) == default, opt.name
    assert list(specs["keyframe.method"].choices) == ["patch", "gatys"]
    assert specs["keyframe.weights"].may_be_unset


def test_sheet_options_round_trip() -> None:
    assert sheet_options(pb.SheetParams()) == SheetOptions()
    message = pb.SheetParams(grid=4, keys="1,5", crop_to_matte=True, margin=0, cell_width=8,
                             cell_height=6)  # fmt: skip
    assert sheet_options(message) == SheetOptions(
        grid=4, keys="1,5", crop_to_matte=True, margin=0, cell_width=8, cell_height=6
    )
    with pytest.raises(InputError, match=r"^margin must be >= 0, got -1$"):
        sheet_options(pb.SheetParams(margin=-1))


def test_keyframe_options_round_trip(tmp_path) -> None:
    assert keyframe_options(pb.KeyframeParams(), None) == KeyframeOptions()
    assert keyframe_options(pb.KeyframeParams(), None).engine == KEYFRAME_ENGINE_PARAMS
    options = KeyframeOptions(
        preserve_colour="histogram", colour_weight=2.0, edge_weight=0.0, init="noise",
        reference_weights=(0.25, 0.75),
        engine=dataclasses.replace(KEYFRAME_ENGINE_PARAMS, patch_size=5, seed=9),
    )  # fmt: skip
    assert keyframe_options(keyframe_message(options), None) == options
    # gatys weights: a file of the models directory, by name (a client's path sends its name).
    (tmp_path / "vgg16.pth").write_bytes(b"")
    gatys = KeyframeOptions(method="gatys", network="vgg16", weights="/elsewhere/vgg16.pth")
    assert keyframe_message(gatys).weights == "vgg16.pth"
    unnamed = pb.KeyframeParams(method=pb.KEYFRAME_METHOD_GATYS, network=pb.VGG_NETWORK_VGG16)
    for message in (keyframe_message(gatys), unnamed):
        resolved = keyframe_options(message, tmp_path)
        assert resolved.weights == str(tmp_path / "vgg16.pth")
    with pytest.raises(InputError, match=r"^params.weights: model 'vgg19.pth' is not in the"):
        keyframe_options(pb.KeyframeParams(method=pb.KEYFRAME_METHOD_GATYS, weights="vgg19.pth"),
                         tmp_path)  # fmt: skip
    with pytest.raises(InputError, match=r"^init must be one of 'content', 'style', 'noise'"):
        keyframe_options(pb.KeyframeParams(init=9), None)  # type: ignore[arg-type]


def test_exception_enum_value_and_range() -> None:
    with pytest.raises(InputError, match=r"mask_mode must be one of 'after', 'before'; got enum"):
        stylize_options(pb.StylizeParams(mask_mode=7), None)  # type: ignore[arg-type]
    cases = {
        "engine.patch_size must be odd, got 4": pb.EngineParams(patch_size=4),
        "engine.patch_size must be >= 3, got 1": pb.EngineParams(patch_size=1),
        "engine.threads must be <= 1024, got 5000": pb.EngineParams(threads=5000),
        "engine.uniformity must be finite and >= 0, got -1.0": pb.EngineParams(uniformity=-1),
        "engine.search_vote_iters must be >= 1, got 0": pb.EngineParams(search_vote_iters=0),
    }
    for expected, message in cases.items():
        with pytest.raises(InputError, match=re.escape(expected)):
            engine_params(message, SynthesisParams())


def test_unset_fields_take_the_call_defaults() -> None:
    assert engine_params(pb.EngineParams(), SynthesisParams()) == SynthesisParams()
    assert engine_params(pb.EngineParams(seed=0, extra_pass_3x3=False), EZSYNTH_VIDEO_PARAMS) == (
        dataclasses.replace(EZSYNTH_VIDEO_PARAMS, seed=0, extra_pass_3x3=False)
    )


def test_get_info_serves_the_schema(module_server) -> None:
    from synthfx.client import BackendClient

    with BackendClient(module_server.address) as client:
        served = client.info().options
    assert served == options_schema() and len(served.options) > 20
