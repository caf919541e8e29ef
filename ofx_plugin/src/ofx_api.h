// SPDX-License-Identifier: Apache-2.0
// The OpenFX C API: ours (ofx_plugin/include/ofx) or, with SYNTHFX_OFX_HEADERS, the official one.
#pragma once

#include "ofxCore.h"
#include "ofxImageEffect.h"
#include "ofxMemory.h"
#include "ofxMessage.h"
#include "ofxMultiThread.h"
#include "ofxParam.h"
#include "ofxProgress.h"
#include "ofxProperty.h"
#include "ofxTimeLine.h"

namespace synthfx::ofx {

// Per-clip property names the specification builds by appending the clip's name; they have no
// macro in the headers.
constexpr const char* kFramesNeededPrefix = "OfxImageClipPropFrameRange_";
constexpr const char* kRoIPrefix = "OfxImageClipPropRoI_";
constexpr const char* kClipComponentsPrefix = "OfxImageClipPropComponents_";
constexpr const char* kClipDepthPrefix = "OfxImageClipPropDepth_";

}  // namespace synthfx::ofx
