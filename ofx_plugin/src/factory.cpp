// SPDX-License-Identifier: Apache-2.0
// The binary's entry points and action dispatch for every effect. Every exception stops here:
// the host gets a status and the artist a message, never a crash.
#include "deflicker_effect.h"
#include "describe.h"
#include "image_synth_effect.h"
#include "key_sheet_effect.h"
#include "keyframe_effect.h"
#include "params.h"
#include "stylize_effect.h"
#include "suites.h"

#include <cstring>
#include <memory>

#define SYNTHFX_OFX_EXPORT extern "C" __attribute__((visibility("default")))

namespace synthfx::ofx {
namespace {

Effect* instanceOf(OfxImageEffectHandle handle) {
    OfxPropertySetHandle props = nullptr;
    if (suites().effect->getPropertySet(handle, &props) != kOfxStatOK) return nullptr;
    return static_cast<Effect*>(PropertySet(props).getPointer(kOfxPropInstanceData));
}

template <typename MakeEffect>
OfxStatus dispatch(const char* action, OfxImageEffectHandle handle, PropertySet inArgs,
                   PropertySet outArgs, void (*describe)(OfxImageEffectHandle),
                   void (*describeInContext)(OfxImageEffectHandle, const std::string&),
                   MakeEffect makeEffect) {
    if (!std::strcmp(action, kOfxActionLoad)) {
        return fetchSuites() ? kOfxStatOK : kOfxStatErrMissingHostFeature;
    }
    if (!std::strcmp(action, kOfxActionUnload)) return kOfxStatOK;
    if (!std::strcmp(action, kOfxActionDescribe)) {
        describe(handle);
        return kOfxStatOK;
    }
    if (!std::strcmp(action, kOfxImageEffectActionDescribeInContext)) {
        describeInContext(handle, inArgs.getString(kOfxImageEffectPropContext));
        return kOfxStatOK;
    }
    if (!std::strcmp(action, kOfxActionCreateInstance)) {
        OfxPropertySetHandle props = nullptr;
        check(suites().effect->getPropertySet(handle, &props), "getPropertySet");
        const PropertySet effectProps(props);
        std::unique_ptr<Effect> effect =
            makeEffect(handle, effectProps.getString(kOfxImageEffectPropContext));
        effectProps.setPointer(kOfxPropInstanceData, effect.get());
        effect.release();
        return kOfxStatOK;
    }
    Effect* effect = instanceOf(handle);
    if (!effect) return kOfxStatReplyDefault;
    if (!std::strcmp(action, kOfxActionDestroyInstance)) {
        delete effect;
        return kOfxStatOK;
    }
    try {
        if (!std::strcmp(action, kOfxImageEffectActionRender)) {
            effect->render(inArgs);
            return kOfxStatOK;
        }
        if (!std::strcmp(action, kOfxImageEffectActionGetFramesNeeded)) {
            effect->getFramesNeeded(inArgs, outArgs);
            return kOfxStatOK;
        }
        if (!std::strcmp(action, kOfxImageEffectActionGetRegionOfDefinition)) {
            effect->getRegionOfDefinition(inArgs, outArgs);
            return kOfxStatOK;
        }
        if (!std::strcmp(action, kOfxImageEffectActionGetClipPreferences)) {
            effect->getClipPreferences(outArgs);
            return kOfxStatOK;
        }
        if (!std::strcmp(action, kOfxImageEffectActionBeginSequenceRender)) {
            effect->beginSequenceRender(inArgs);
            return kOfxStatOK;
        }
        if (!std::strcmp(action, kOfxActionInstanceChanged)) {
            effect->changedParam(inArgs.getString(kOfxPropName), inArgs);
            return kOfxStatOK;
        }
    } catch (const OfxError& error) {
        effect->setPersistentError(error.what());
        return error.status();
    } catch (const std::bad_alloc&) {
        effect->setPersistentError("synthfx: out of memory");
        return kOfxStatErrMemory;
    } catch (const std::exception& error) {
        effect->setPersistentError(std::string("synthfx: ") + error.what());
        return kOfxStatFailed;
    }
    return kOfxStatReplyDefault;
}

OfxStatus guarded(const char* action, const void* handle, OfxPropertySetHandle inArgs,
                  OfxPropertySetHandle outArgs,
                  OfxStatus (*body)(const char*, OfxImageEffectHandle, PropertySet, PropertySet)) {
    try {
        return body(action, static_cast<OfxImageEffectHandle>(const_cast<void*>(handle)),
                    PropertySet(inArgs), PropertySet(outArgs));
    } catch (const OfxError& error) {
        return error.status();
    } catch (const std::bad_alloc&) {
        return kOfxStatErrMemory;
    } catch (...) {
        return kOfxStatFailed;
    }
}

OfxStatus stylizeMain(const char* action, const void* handle, OfxPropertySetHandle inArgs,
                      OfxPropertySetHandle outArgs) {
    return guarded(action, handle, inArgs, outArgs,
                   [](const char* a, OfxImageEffectHandle h, PropertySet in, PropertySet out) {
                       return dispatch(a, h, in, out, describeStylize, describeStylizeInContext,
                                       [](OfxImageEffectHandle e, const std::string& context) {
                                           return std::unique_ptr<Effect>(
                                               new StylizeEffect(e, context));
                                       });
                   });
}

OfxStatus imageSynthMain(const char* action, const void* handle, OfxPropertySetHandle inArgs,
                         OfxPropertySetHandle outArgs) {
    return guarded(action, handle, inArgs, outArgs,
                   [](const char* a, OfxImageEffectHandle h, PropertySet in, PropertySet out) {
                       return dispatch(a, h, in, out, describeImageSynth,
                                       describeImageSynthInContext,
                                       [](OfxImageEffectHandle e, const std::string&) {
                                           return std::unique_ptr<Effect>(new ImageSynthEffect(e));
                                       });
                   });
}

OfxStatus deflickerMain(const char* action, const void* handle, OfxPropertySetHandle inArgs,
                        OfxPropertySetHandle outArgs) {
    return guarded(action, handle, inArgs, outArgs,
                   [](const char* a, OfxImageEffectHandle h, PropertySet in, PropertySet out) {
                       return dispatch(a, h, in, out, describeDeflicker, describeDeflickerInContext,
                                       [](OfxImageEffectHandle e, const std::string&) {
                                           return std::unique_ptr<Effect>(new DeflickerEffect(e));
                                       });
                   });
}

OfxStatus keySheetMain(const char* action, const void* handle, OfxPropertySetHandle inArgs,
                       OfxPropertySetHandle outArgs) {
    return guarded(action, handle, inArgs, outArgs,
                   [](const char* a, OfxImageEffectHandle h, PropertySet in, PropertySet out) {
                       return dispatch(a, h, in, out, describeKeySheet, describeKeySheetInContext,
                                       [](OfxImageEffectHandle e, const std::string& context) {
                                           return std::unique_ptr<Effect>(
                                               new KeySheetEffect(e, context));
                                       });
                   });
}

OfxStatus keyframeMain(const char* action, const void* handle, OfxPropertySetHandle inArgs,
                       OfxPropertySetHandle outArgs) {
    return guarded(action, handle, inArgs, outArgs,
                   [](const char* a, OfxImageEffectHandle h, PropertySet in, PropertySet out) {
                       return dispatch(a, h, in, out, describeKeyframe, describeKeyframeInContext,
                                       [](OfxImageEffectHandle e, const std::string&) {
                                           return std::unique_ptr<Effect>(new KeyframeEffect(e));
                                       });
                   });
}

void setHostOfPlugin(OfxHost* host) { synthfx::ofx::setHost(host); }

OfxPlugin gPlugins[] = {
    {kOfxImageEffectPluginApi, kOfxImageEffectPluginApiVersion, kStylizeIdentifier,
     kPluginVersionMajor, kPluginVersionMinor, setHostOfPlugin, stylizeMain},
    {kOfxImageEffectPluginApi, kOfxImageEffectPluginApiVersion, kImageSynthIdentifier,
     kPluginVersionMajor, kPluginVersionMinor, setHostOfPlugin, imageSynthMain},
    {kOfxImageEffectPluginApi, kOfxImageEffectPluginApiVersion, kDeflickerIdentifier,
     kPluginVersionMajor, kPluginVersionMinor, setHostOfPlugin, deflickerMain},
    {kOfxImageEffectPluginApi, kOfxImageEffectPluginApiVersion, kKeySheetIdentifier,
     kPluginVersionMajor, kPluginVersionMinor, setHostOfPlugin, keySheetMain},
    {kOfxImageEffectPluginApi, kOfxImageEffectPluginApiVersion, kKeyframeIdentifier,
     kPluginVersionMajor, kPluginVersionMinor, setHostOfPlugin, keyframeMain},
};

}  // namespace
}  // namespace synthfx::ofx

SYNTHFX_OFX_EXPORT OfxStatus OfxSetHost(const OfxHost* host) {
    synthfx::ofx::setHost(const_cast<OfxHost*>(host));
    return kOfxStatOK;
}

SYNTHFX_OFX_EXPORT int OfxGetNumberOfPlugins(void) {
    return static_cast<int>(sizeof(synthfx::ofx::gPlugins) / sizeof(synthfx::ofx::gPlugins[0]));
}

SYNTHFX_OFX_EXPORT OfxPlugin* OfxGetPlugin(int nth) {
    if (nth < 0 || nth >= OfxGetNumberOfPlugins()) return nullptr;
    return &synthfx::ofx::gPlugins[nth];
}
