/* SPDX-License-Identifier: Apache-2.0 */
/* Memory suite, from the OFX specification (see ofxCore.h). */
#ifndef SYNTHFX_OFX_MEMORY_H
#define SYNTHFX_OFX_MEMORY_H

#include "ofxCore.h"

#ifdef __cplusplus
extern "C" {
#endif

#define kOfxMemorySuite "OfxMemorySuite"

typedef struct OfxMemorySuiteV1 {
    OfxStatus (*memoryAlloc)(void *handle, size_t nBytes, void **allocatedData);
    OfxStatus (*memoryFree)(void *allocatedData);
} OfxMemorySuiteV1;

#ifdef __cplusplus
}
#endif
#endif
