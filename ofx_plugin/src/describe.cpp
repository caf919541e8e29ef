// SPDX-License-Identifier: Apache-2.0
#include "describe.h"
#include "params.h"
#include "properties.h"

#include <limits>

namespace synthfx::ofx {
namespace {

PropertySet effectProps(OfxImageEffectHandle descriptor) {
    OfxPropertySetHandle props = nullptr;
    check(suites().effect->getPropertySet(descriptor, &props), "getPropertySet");
    return PropertySet(props);
}

OfxParamSetHandle paramSet(OfxImageEffectHandle descriptor) {
    OfxParamSetHandle params = nullptr;
    check(suites().effect->getParamSet(descriptor, &params), "getParamSet");
    return params;
}

void describeCommon(const PropertySet& props, const char* label, const char* description) {
    props.setString(kOfxPropLabel, label);
    props.setString(kOfxImageEffectPluginPropGrouping, kPluginGrouping);
    props.trySetString(kOfxPropPluginDescription, description);
    props.setStrings(kOfxImageEffectPropSupportedPixelDepths,
                     {kOfxBitDepthFloat, kOfxBitDepthHalf, kOfxBitDepthShort, kOfxBitDepthByte});
    // Whole frames, rendered one at a time per instance: the backend works on whole segments.
    props.setInt(kOfxImageEffectPropSupportsTiles, 0);
    props.setInt(kOfxImageEffectPluginPropHostFrameThreading, 0);
    props.setString(kOfxImageEffectPluginRenderThreadSafety, kOfxImageEffectRenderInstanceSafe);
    props.setInt(kOfxImageEffectPropSupportsMultiResolution, 1);
    props.setInt(kOfxImageEffectPropSupportsMultipleClipDepths, 1);
    props.trySetInt(kOfxImageEffectPropSupportsMultipleClipPARs, 0);
    props.setInt(kOfxImageEffectPluginPropSingleInstance, 0);
    props.setInt(kOfxImageEffectPluginPropFieldRenderTwiceAlways, 0);
    // 2: the host may render frames in any order, but sequential is better (segment cache).
    props.trySetInt(kOfxImageEffectInstancePropSequentialRender, 2);
}

PropertySet defineClip(OfxImageEffectHandle descriptor, const char* name,
                       const std::vector<std::string>& components, bool optional) {
    OfxPropertySetHandle handle = nullptr;
    check(suites().effect->clipDefine(descriptor, name, &handle), std::string("defining ") + name);
    PropertySet clip(handle);
    clip.setStrings(kOfxImageEffectPropSupportedComponents, components);
    clip.setInt(kOfxImageEffectPropSupportsTiles, 0);
    clip.setInt(kOfxImageClipPropOptional, optional ? 1 : 0);
    return clip;
}

PropertySet defineParam(OfxParamSetHandle params, const char* type, const char* name,
                        const char* label, const char* hint, const char* page) {
    OfxPropertySetHandle handle = nullptr;
    check(suites().param->paramDefine(params, type, name, &handle),
          std::string("defining parameter ") + name);
    PropertySet param(handle);
    param.setString(kOfxPropLabel, label);
    param.setString(kOfxParamPropScriptName, name);
    if (hint) param.setString(kOfxParamPropHint, hint);
    return param;
}

void defineOption(OfxParamSetHandle params, const OptionParam& spec) {
    switch (spec.kind) {
    case OptionKind::Int: {
        auto p =
            defineParam(params, kOfxParamTypeInteger, spec.name, spec.label, spec.hint, spec.page);
        p.setInt(kOfxParamPropDefault, static_cast<int>(spec.defaultValue));
        p.setInt(kOfxParamPropMin, static_cast<int>(spec.min));
        p.setInt(kOfxParamPropMax, static_cast<int>(spec.max));
        p.setInt(kOfxParamPropDisplayMin, static_cast<int>(spec.displayMin));
        p.setInt(kOfxParamPropDisplayMax, static_cast<int>(spec.displayMax));
        break;
    }
    case OptionKind::Double: {
        auto p =
            defineParam(params, kOfxParamTypeDouble, spec.name, spec.label, spec.hint, spec.page);
        p.setDouble(kOfxParamPropDefault, spec.defaultValue);
        p.setDouble(kOfxParamPropMin, spec.min);
        p.setDouble(kOfxParamPropMax, spec.max);
        p.setDouble(kOfxParamPropDisplayMin, spec.displayMin);
        p.setDouble(kOfxParamPropDisplayMax, spec.displayMax);
        p.trySetString(kOfxParamPropDoubleType, kOfxParamDoubleTypePlain);
        break;
    }
    case OptionKind::Bool: {
        auto p =
            defineParam(params, kOfxParamTypeBoolean, spec.name, spec.label, spec.hint, spec.page);
        p.setInt(kOfxParamPropDefault, spec.defaultValue != 0 ? 1 : 0);
        break;
    }
    case OptionKind::Choice: {
        auto p =
            defineParam(params, kOfxParamTypeChoice, spec.name, spec.label, spec.hint, spec.page);
        std::vector<std::string> labels;
        for (const char* choice : spec.choices) labels.push_back(*choice ? choice : "both");
        p.setStrings(kOfxParamPropChoiceOption, labels);
        p.setInt(kOfxParamPropDefault, static_cast<int>(spec.defaultValue));
        break;
    }
    case OptionKind::Text: {
        auto p =
            defineParam(params, kOfxParamTypeString, spec.name, spec.label, spec.hint, spec.page);
        p.setString(kOfxParamPropDefault, spec.defaultText);
        p.setString(kOfxParamPropStringMode, kOfxParamStringIsSingleLine);
        break;
    }
    }
}

void definePage(OfxParamSetHandle params, const char* name, const char* label,
                const std::vector<std::string>& children) {
    auto page = defineParam(params, kOfxParamTypePage, name, label, nullptr, nullptr);
    page.setStrings(kOfxParamPropPageChild, children);
}

std::vector<std::string> namesOnPage(const std::vector<OptionParam>& specs, const char* page) {
    std::vector<std::string> names;
    for (const auto& spec : specs) {
        if (std::string(spec.page) == page) names.push_back(spec.name);
    }
    return names;
}

void defineBackendParams(OfxParamSetHandle params) {
    auto address = defineParam(params, kOfxParamTypeString, kParamBackendAddress,
                               kParamBackendAddressLabel, kParamBackendAddressHint, kPageBackend);
    address.setString(kOfxParamPropDefault, "");
    address.setString(kOfxParamPropStringMode, kOfxParamStringIsSingleLine);
    address.setInt(kOfxParamPropAnimates, 0);
    auto token = defineParam(params, kOfxParamTypeString, kParamTokenFile, kParamTokenFileLabel,
                             kParamTokenFileHint, kPageBackend);
    token.setString(kOfxParamPropDefault, "");
    token.setString(kOfxParamPropStringMode, kOfxParamStringIsFilePath);
    token.setInt(kOfxParamPropAnimates, 0);
    auto tlsCa = defineParam(params, kOfxParamTypeString, kParamTlsCaFile, kParamTlsCaFileLabel,
                             kParamTlsCaFileHint, kPageBackend);
    tlsCa.setString(kOfxParamPropDefault, "");
    tlsCa.setString(kOfxParamPropStringMode, kOfxParamStringIsFilePath);
    tlsCa.setInt(kOfxParamPropAnimates, 0);
    auto timeout = defineParam(params, kOfxParamTypeDouble, kParamConnectTimeout,
                               kParamConnectTimeoutLabel, kParamConnectTimeoutHint, kPageBackend);
    timeout.setDouble(kOfxParamPropDefault, 5.0);
    timeout.setDouble(kOfxParamPropMin, 0.1);
    timeout.setDouble(kOfxParamPropMax, 3600.0);
    timeout.setDouble(kOfxParamPropDisplayMin, 1.0);
    timeout.setDouble(kOfxParamPropDisplayMax, 60.0);
    timeout.setInt(kOfxParamPropAnimates, 0);
    defineParam(params, kOfxParamTypePushButton, kParamPurgeSession, kParamPurgeSessionLabel,
                kParamPurgeSessionHint, kPageBackend);
}

std::vector<std::string> backendParamNames() {
    return {kParamBackendAddress, kParamTokenFile, kParamTlsCaFile, kParamConnectTimeout,
            kParamPurgeSession};
}

// Style Key, its buttons and the list fallback (Stylize, Keyframe); returns their names.
std::vector<std::string> defineKeyParams(OfxParamSetHandle params, const char* keyHint) {
    auto key = defineParam(params, kOfxParamTypeInteger, kParamStyleKey, kParamStyleKeyLabel,
                           keyHint, kPageKeys);
    key.setInt(kOfxParamPropDefault, 0);
    key.setInt(kOfxParamPropMin, 0);
    key.setInt(kOfxParamPropMax, 1);
    key.setInt(kOfxParamPropDisplayMin, 0);
    key.setInt(kOfxParamPropDisplayMax, 1);
    key.setInt(kOfxParamPropAnimates, 1);
    key.trySetString(kOfxParamPropCacheInvalidation, kOfxParamInvalidateAll);
    defineParam(params, kOfxParamTypePushButton, kParamAddKey, kParamAddKeyLabel, kParamAddKeyHint,
                kPageKeys);
    defineParam(params, kOfxParamTypePushButton, kParamRemoveKey, kParamRemoveKeyLabel,
                kParamRemoveKeyHint, kPageKeys);
    auto list = defineParam(params, kOfxParamTypeString, kParamKeyList, kParamKeyListLabel,
                            kParamKeyListHint, kPageKeys);
    list.setString(kOfxParamPropDefault, "");
    list.setInt(kOfxParamPropAnimates, 0);
    return {kParamStyleKey, kParamAddKey, kParamRemoveKey, kParamKeyList};
}

// Stylize only: its results are cached per keyframe segment on the backend.
void defineCacheParams(OfxParamSetHandle params) {
    defineParam(params, kOfxParamTypePushButton, kParamRerender, kParamRerenderLabel,
                kParamRerenderHint, kPageBackend);
    auto generation =
        defineParam(params, kOfxParamTypeInteger, kParamCacheGeneration, kParamCacheGenerationLabel,
                    kParamCacheGenerationHint, kPageBackend);
    generation.setInt(kOfxParamPropDefault, 0);
    generation.setInt(kOfxParamPropMin, 0);
    generation.setInt(kOfxParamPropMax, std::numeric_limits<int>::max());
    generation.setInt(kOfxParamPropDisplayMin, 0);
    generation.setInt(kOfxParamPropDisplayMax, 1000);
    generation.setInt(kOfxParamPropAnimates, 0);
    generation.setInt(kOfxParamPropSecret, 1);
    generation.trySetString(kOfxParamPropCacheInvalidation, kOfxParamInvalidateAll);
}

}  // namespace

void describeStylize(OfxImageEffectHandle descriptor) {
    const PropertySet props = effectProps(descriptor);
    describeCommon(props, kStylizeLabel, kStylizeDescription);
    props.setStrings(kOfxImageEffectPropSupportedContexts,
                     {kOfxImageEffectContextGeneral, kOfxImageEffectContextFilter});
    props.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
}

void describeStylizeInContext(OfxImageEffectHandle descriptor, const std::string& context) {
    const bool general = context == kOfxImageEffectContextGeneral;
    auto source =
        defineClip(descriptor, kClipSource, {kOfxImageComponentRGBA, kOfxImageComponentRGB}, false);
    source.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
    if (general) {
        auto style = defineClip(descriptor, kClipStyle,
                                {kOfxImageComponentRGBA, kOfxImageComponentRGB}, false);
        style.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
        auto mask = defineClip(
            descriptor, kClipMask,
            {kOfxImageComponentAlpha, kOfxImageComponentRGBA, kOfxImageComponentRGB}, true);
        mask.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
        mask.setInt(kOfxImageClipPropIsMask, 1);
    }
    defineClip(descriptor, kClipOutput, {kOfxImageComponentRGBA}, false);

    const OfxParamSetHandle params = paramSet(descriptor);
    std::vector<std::string> keyPage = defineKeyParams(params, kParamStyleKeyHint);
    auto layout = defineParam(params, kOfxParamTypeString, kParamStyleLayout,
                              kParamStyleLayoutLabel, kParamStyleLayoutHint, kPageKeys);
    layout.setString(kOfxParamPropDefault, "");
    layout.setString(kOfxParamPropStringMode, kOfxParamStringIsFilePath);
    layout.trySetInt(kOfxParamPropStringFilePathExists, 1);
    layout.setInt(kOfxParamPropAnimates, 0);
    keyPage.push_back(kParamStyleLayout);
    if (!general) {
        auto file = defineParam(params, kOfxParamTypeString, kParamStyleFile, kParamStyleFileLabel,
                                kParamStyleFileHint, kPageKeys);
        file.setString(kOfxParamPropDefault, "");
        file.setString(kOfxParamPropStringMode, kOfxParamStringIsFilePath);
        file.trySetInt(kOfxParamPropStringFilePathExists, 1);
        file.setInt(kOfxParamPropAnimates, 0);
        keyPage.push_back(kParamStyleFile);
        auto plate = defineParam(params, kOfxParamTypeString, kParamSourceFile,
                                 kParamSourceFileLabel, kParamSourceFileHint, kPageKeys);
        plate.setString(kOfxParamPropDefault, "");
        plate.setString(kOfxParamPropStringMode, kOfxParamStringIsFilePath);
        plate.trySetInt(kOfxParamPropStringFilePathExists, 1);
        plate.setInt(kOfxParamPropAnimates, 0);
        keyPage.push_back(kParamSourceFile);
    }
    auto output = defineParam(params, kOfxParamTypeChoice, kParamOutput, kParamOutputLabel,
                              kParamOutputHint, kPageKeys);
    output.setStrings(kOfxParamPropChoiceOption,
                      {kOutputChoices[0], kOutputChoices[1], kOutputChoices[2]});
    output.setInt(kOfxParamPropDefault, 0);
    output.setInt(kOfxParamPropAnimates, 0);
    keyPage.push_back(kParamOutput);
    auto whole = defineParam(params, kOfxParamTypeBoolean, kParamSendWholeShot,
                             kParamSendWholeShotLabel, kParamSendWholeShotHint, kPageKeys);
    whole.setInt(kOfxParamPropDefault, 0);
    whole.setInt(kOfxParamPropAnimates, 0);
    keyPage.push_back(kParamSendWholeShot);

    const auto& options = stylizeOptionParams();
    for (const auto& spec : options) defineOption(params, spec);
    defineBackendParams(params);
    defineCacheParams(params);
    std::vector<std::string> backendPage = backendParamNames();
    backendPage.insert(backendPage.end(), {kParamRerender, kParamCacheGeneration});

    definePage(params, kPageKeys, "Keyframes", keyPage);
    definePage(params, kPageGuides, "Guides", namesOnPage(options, kPageGuides));
    definePage(params, kPageMask, "Mask", namesOnPage(options, kPageMask));
    definePage(params, kPageEngine, "Engine", namesOnPage(options, kPageEngine));
    definePage(params, kPageBackend, "Backend", backendPage);
}

void describeImageSynth(OfxImageEffectHandle descriptor) {
    const PropertySet props = effectProps(descriptor);
    describeCommon(props, kImageSynthLabel, kImageSynthDescription);
    props.setStrings(kOfxImageEffectPropSupportedContexts, {kOfxImageEffectContextGeneral});
    props.setInt(kOfxImageEffectPropTemporalClipAccess, 0);
}

void describeImageSynthInContext(OfxImageEffectHandle descriptor, const std::string&) {
    defineClip(descriptor, kClipStyle, {kOfxImageComponentRGBA, kOfxImageComponentRGB}, false);
    const OfxParamSetHandle params = paramSet(descriptor);
    std::vector<std::string> guidePage;
    for (int i = 1; i <= kImageSynthGuidePairs; ++i) {
        const std::string source = kClipGuideSourcePrefix + std::to_string(i);
        const std::string target = kClipGuideTargetPrefix + std::to_string(i);
        const bool optional = i > 1;
        defineClip(descriptor, source.c_str(),
                   {kOfxImageComponentRGBA, kOfxImageComponentRGB, kOfxImageComponentAlpha},
                   optional);
        defineClip(descriptor, target.c_str(),
                   {kOfxImageComponentRGBA, kOfxImageComponentRGB, kOfxImageComponentAlpha},
                   optional);
        const std::string name = kParamGuideWeightPrefix + std::to_string(i);
        const std::string label = "Guide " + std::to_string(i) + " Weight";
        auto weight = defineParam(params, kOfxParamTypeDouble, name.c_str(), label.c_str(),
                                  kParamGuideWeightHint, kPageGuides);
        weight.setDouble(kOfxParamPropDefault, 1.0);
        weight.setDouble(kOfxParamPropMin, 0.0);
        weight.setDouble(kOfxParamPropMax, 1000.0);
        weight.setDouble(kOfxParamPropDisplayMin, 0.0);
        weight.setDouble(kOfxParamPropDisplayMax, 10.0);
        guidePage.push_back(name);
    }
    // The output has the Target guides' size: the frame being synthesised.
    defineClip(descriptor, kClipOutput, {kOfxImageComponentRGBA}, false);
    const auto& options = engineOptionParams();
    for (const auto& spec : options) defineOption(params, spec);
    defineBackendParams(params);
    definePage(params, kPageGuides, "Guides", guidePage);
    definePage(params, kPageEngine, "Engine", namesOnPage(options, kPageEngine));
    definePage(params, kPageBackend, "Backend", backendParamNames());
}

void describeDeflicker(OfxImageEffectHandle descriptor) {
    const PropertySet props = effectProps(descriptor);
    describeCommon(props, kDeflickerLabel, kDeflickerDescription);
    props.setStrings(kOfxImageEffectPropSupportedContexts, {kOfxImageEffectContextGeneral});
    props.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
}

void describeDeflickerInContext(OfxImageEffectHandle descriptor, const std::string&) {
    // Every input is read over the window's frames (getFramesNeeded).
    auto source =
        defineClip(descriptor, kClipSource,
                   {kOfxImageComponentRGBA, kOfxImageComponentRGB, kOfxImageComponentAlpha}, false);
    source.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
    auto guide =
        defineClip(descriptor, kClipGuide, {kOfxImageComponentRGBA, kOfxImageComponentRGB}, false);
    guide.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
    auto mask =
        defineClip(descriptor, kClipMask,
                   {kOfxImageComponentAlpha, kOfxImageComponentRGBA, kOfxImageComponentRGB}, true);
    mask.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
    mask.setInt(kOfxImageClipPropIsMask, 1);
    defineClip(descriptor, kClipOutput, {kOfxImageComponentRGBA}, false);
    const OfxParamSetHandle params = paramSet(descriptor);
    const auto& options = deflickerOptionParams();
    for (const auto& spec : options) defineOption(params, spec);
    defineBackendParams(params);
    definePage(params, kPageGuides, "Deflicker", namesOnPage(options, kPageGuides));
    definePage(params, kPageEngine, "Engine", namesOnPage(options, kPageEngine));
    definePage(params, kPageBackend, "Backend", backendParamNames());
}

void describeKeyframe(OfxImageEffectHandle descriptor) {
    const PropertySet props = effectProps(descriptor);
    describeCommon(props, kKeyframeLabel, kKeyframeDescription);
    props.setStrings(kOfxImageEffectPropSupportedContexts, {kOfxImageEffectContextGeneral});
    props.setInt(kOfxImageEffectPropTemporalClipAccess, 0);  // each clip at the frame rendered
}

void describeKeyframeInContext(OfxImageEffectHandle descriptor, const std::string&) {
    defineClip(descriptor, kClipSource, {kOfxImageComponentRGBA, kOfxImageComponentRGB}, false);
    defineClip(descriptor, kClipReference, {kOfxImageComponentRGBA, kOfxImageComponentRGB}, false);
    auto mask =
        defineClip(descriptor, kClipMask,
                   {kOfxImageComponentAlpha, kOfxImageComponentRGBA, kOfxImageComponentRGB}, true);
    mask.setInt(kOfxImageClipPropIsMask, 1);
    defineClip(descriptor, kClipOutput, {kOfxImageComponentRGBA}, false);
    const OfxParamSetHandle params = paramSet(descriptor);
    const std::vector<std::string> keyPage = defineKeyParams(params, kParamKeyframeKeyHint);
    const auto& options = keyframeOptionParams();
    for (const auto& spec : options) defineOption(params, spec);
    defineBackendParams(params);
    definePage(params, kPageKeys, "Keyframes", keyPage);
    definePage(params, kPageKeyframe, "Keyframe", namesOnPage(options, kPageKeyframe));
    definePage(params, kPagePatch, "Patch", namesOnPage(options, kPagePatch));
    definePage(params, kPageGatys, "Gatys", namesOnPage(options, kPageGatys));
    definePage(params, kPageEngine, "Engine", namesOnPage(options, kPageEngine));
    definePage(params, kPageBackend, "Backend", backendParamNames());
}

}  // namespace synthfx::ofx

namespace synthfx::ofx {

void describeKeySheet(OfxImageEffectHandle descriptor) {
    const PropertySet props = effectProps(descriptor);
    describeCommon(props, kKeySheetLabel, kKeySheetDescription);
    props.setStrings(kOfxImageEffectPropSupportedContexts,
                     {kOfxImageEffectContextGeneral, kOfxImageEffectContextFilter});
    props.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
}

void describeKeySheetInContext(OfxImageEffectHandle descriptor, const std::string& context) {
    // Read at the key frames only (getFramesNeeded).
    auto source =
        defineClip(descriptor, kClipSource, {kOfxImageComponentRGBA, kOfxImageComponentRGB}, false);
    source.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
    if (context == kOfxImageEffectContextGeneral) {
        auto matte = defineClip(
            descriptor, kClipMatte,
            {kOfxImageComponentAlpha, kOfxImageComponentRGBA, kOfxImageComponentRGB}, true);
        matte.setInt(kOfxImageEffectPropTemporalClipAccess, 1);
        matte.setInt(kOfxImageClipPropIsMask, 1);
    }
    defineClip(descriptor, kClipOutput, {kOfxImageComponentRGBA}, false);
    const OfxParamSetHandle params = paramSet(descriptor);
    const auto& options = sheetOptionParams();
    for (const auto& spec : options) defineOption(params, spec);
    auto layout = defineParam(params, kOfxParamTypeString, kParamLayoutFile, kParamLayoutFileLabel,
                              kParamLayoutFileHint, kPageSheet);
    layout.setString(kOfxParamPropDefault, "");
    layout.setString(kOfxParamPropStringMode, kOfxParamStringIsFilePath);
    layout.trySetInt(kOfxParamPropStringFilePathExists, 0);  // the node writes it
    layout.setInt(kOfxParamPropAnimates, 0);
    defineBackendParams(params);
    std::vector<std::string> sheetPage = namesOnPage(options, kPageSheet);
    sheetPage.push_back(kParamLayoutFile);
    definePage(params, kPageSheet, "Key Sheet", sheetPage);
    definePage(params, kPageBackend, "Backend", backendParamNames());
}

}  // namespace synthfx::ofx
