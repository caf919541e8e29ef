# SPDX-License-Identifier: Apache-2.0
"""The plugin's option parameters, as it describes them to a host, agree with the backend's
options schema (what GetInfo serves): names, labels, hints, pages, defaults, ranges, choices."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from ofx_testing import KEY_SHEET, KEYFRAME, STYLIZE, run_host

from synthfx.service.params import options_schema
from synthfx.v1 import synthfx_pb2 as pb

IMAGE_SYNTH = "org.synthfx.ImageSynth"
DEFLICKER = "org.synthfx.Deflicker"
# Keyframe options the node leaves out (params.cpp says why): its output is the Source's size,
# it has no segmentation clips, weights live in the backend's models directory, OFX has no
# unset number, and the call returns no snapshots; engine.style_weight would clash with the
# gatys styleWeight (the CLI keeps it fixed too).
_NOT_ON_KEYFRAME_NODE = {
    "keyframe.output_scale", "keyframe.segmentation_weight", "keyframe.weights",
    "keyframe.style_layer_weights", "keyframe.lr", "keyframe.snapshot_every",
    "engine.style_weight",
}  # fmt: skip
_OFX_TYPES = {
    pb.OPTION_TYPE_INT: "OfxParamTypeInteger",
    pb.OPTION_TYPE_DOUBLE: "OfxParamTypeDouble",
    pb.OPTION_TYPE_BOOL: "OfxParamTypeBoolean",
    pb.OPTION_TYPE_CHOICE: "OfxParamTypeChoice",
    pb.OPTION_TYPE_TEXT: "OfxParamTypeChoice",  # the plugin offers the suggestions
}
# The plugin's label of the unset choice ("only" unset blends both directions).
_UNSET_LABEL = "both"
_PAGES = {"guides": "guidesPage", "mask": "maskPage", "engine": "enginePage", "sheet": "sheetPage",
          "keyframe": "keyframePage", "patch": "patchPage", "gatys": "gatysPage"}  # fmt: skip


def _default(value: pb.OptionValue) -> object:
    return getattr(value, value.WhichOneof("value")) if value.WhichOneof("value") else None


def _described(bundle: Path, plugin: str) -> dict[str, dict]:
    run = run_host(bundle, "--plugin", plugin, "--describe")
    assert run.returncode == 0, run.events
    return {p["name"]: p for p in run.of("param")}


def _check(spec: pb.OptionSpec, param: dict, default: object, pages: dict[str, dict]) -> None:
    where = f"{spec.name} (plugin {spec.param})"
    open_text = spec.type == pb.OPTION_TYPE_TEXT and not spec.suggestions
    assert open_text or param["type"] == _OFX_TYPES[spec.type], where
    assert param["OfxPropLabel"] == [spec.label], where
    assert param["OfxParamPropHint"] == [spec.help], where
    assert spec.param in pages[_PAGES[spec.page]]["OfxParamPropPageChild"], where
    if spec.HasField("offered_default"):
        default = _default(spec.offered_default)
    described = param["OfxParamPropDefault"][0]
    if spec.type == pb.OPTION_TYPE_TEXT and not spec.suggestions:  # open text: a string param
        assert param["type"] == "OfxParamTypeString", where
        assert param["OfxParamPropDefault"] == [default], where
        return
    if spec.type in (pb.OPTION_TYPE_CHOICE, pb.OPTION_TYPE_TEXT):
        choices = list(spec.choices or spec.suggestions)
        labels = [_UNSET_LABEL, *choices] if spec.may_be_unset else choices
        assert param["OfxParamPropChoiceOption"] == labels, where
        values = [None, *choices] if spec.may_be_unset else choices
        assert values[described] == default, where
        return
    if spec.type == pb.OPTION_TYPE_BOOL:
        assert described == int(default), where
        return
    assert math.isclose(described, default, rel_tol=1e-6), where
    low, high = param["OfxParamPropMin"][0], param["OfxParamPropMax"][0]
    # The plugin's range: the schema's minimum, and no more than its maximum (OFX integers
    # stop at 2**31 - 1; unbounded options get a large cap).
    assert low == (spec.minimum if spec.HasField("minimum") else low), where
    assert high <= (spec.maximum if spec.HasField("maximum") else math.inf), where
    assert high >= spec.display_maximum, where
    display = [param["OfxParamPropDisplayMin"][0], param["OfxParamPropDisplayMax"][0]]
    assert display == [spec.display_minimum, spec.display_maximum], where


@pytest.mark.parametrize("plugin", [STYLIZE, IMAGE_SYNTH, DEFLICKER, KEY_SHEET, KEYFRAME])
def test_params_match_schema(bundle: Path, plugin: str) -> None:
    described = _described(bundle, plugin)
    pages = {n: p for n, p in described.items() if p["type"] == "OfxParamTypePage"}
    schema = options_schema().options
    if plugin == IMAGE_SYNTH:  # ImageSynth takes engine options, with Ebsynth's defaults
        specs = [
            (s, _default(s.image_synth_default)) for s in schema if s.name.startswith("engine.")
        ]
    elif plugin == DEFLICKER:  # its options and the remaps' engine options, its defaults
        specs = [
            (s, _default(s.deflicker_default)) for s in schema if s.HasField("deflicker_default")
        ]
    elif plugin == KEY_SHEET:  # the sheet options, PackSheet's defaults
        specs = [
            (s, _default(s.pack_sheet_default)) for s in schema if s.HasField("pack_sheet_default")
        ]
    elif plugin == KEYFRAME:  # its options and the patch engine's, its defaults
        specs = [
            (s, _default(s.keyframe_default))
            for s in schema
            if s.HasField("keyframe_default") and s.name not in _NOT_ON_KEYFRAME_NODE
        ]
    else:  # Stylize takes every Render option
        specs = [
            (s, _default(s.render_default))
            for s in schema
            if not s.name.startswith(("deflicker.", "sheet.", "keyframe."))
        ]
    for spec, default in specs:
        assert spec.param in described, f"the plugin lacks {spec.name} ({spec.param})"
        _check(spec, described[spec.param], default, pages)
    # Every option parameter the plugin has is one of the schema's (guide weights are ImageSynth's
    # per-clip weights, not options).
    option_pages = [
        pages[_PAGES[page]]
        for page in ("engine", "mask", "keyframe", "patch", "gatys")
        if _PAGES[page] in pages
    ]
    on_option_pages = {c for page in option_pages for c in page["OfxParamPropPageChild"]}
    if plugin in (STYLIZE, DEFLICKER):
        on_option_pages |= set(pages["guidesPage"]["OfxParamPropPageChild"])
    if plugin == KEY_SHEET:  # its page also holds Layout File, which is no option
        on_option_pages |= set(pages["sheetPage"]["OfxParamPropPageChild"]) - {"layoutFile"}
    assert on_option_pages == {spec.param for spec, _ in specs}
