// SPDX-License-Identifier: Apache-2.0
// kOfxActionDescribe and kOfxImageEffectActionDescribeInContext for every effect.
#pragma once

#include "ofx_api.h"

#include <string>

namespace synthfx::ofx {

void describeStylize(OfxImageEffectHandle descriptor);
void describeStylizeInContext(OfxImageEffectHandle descriptor, const std::string& context);
void describeImageSynth(OfxImageEffectHandle descriptor);
void describeImageSynthInContext(OfxImageEffectHandle descriptor, const std::string& context);
void describeDeflicker(OfxImageEffectHandle descriptor);
void describeDeflickerInContext(OfxImageEffectHandle descriptor, const std::string& context);
void describeKeySheet(OfxImageEffectHandle descriptor);
void describeKeySheetInContext(OfxImageEffectHandle descriptor, const std::string& context);
void describeKeyframe(OfxImageEffectHandle descriptor);
void describeKeyframeInContext(OfxImageEffectHandle descriptor, const std::string& context);

}  // namespace synthfx::ofx
