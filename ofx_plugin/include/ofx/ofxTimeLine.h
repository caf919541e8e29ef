/* SPDX-License-Identifier: Apache-2.0 */
/* Time line suite, from the OFX specification (see ofxCore.h). */
#ifndef SYNTHFX_OFX_TIMELINE_H
#define SYNTHFX_OFX_TIMELINE_H

#include "ofxCore.h"

#ifdef __cplusplus
extern "C" {
#endif

#define kOfxTimeLineSuite "OfxTimeLineSuite"

typedef struct OfxTimeLineSuiteV1 {
    OfxStatus (*getTime)(void *instance, double *time);
    OfxStatus (*gotoTime)(void *instance, double time);
    OfxStatus (*getTimeBounds)(void *instance, double *firstTime, double *lastTime);
} OfxTimeLineSuiteV1;

#ifdef __cplusplus
}
#endif
#endif
