// SPDX-License-Identifier: Apache-2.0
// Whether this CPU runs the instructions the engine was compiled for (SYNTHFX_X86_LEVEL).
//
// The engine library is built for one x86-64 level (x86-64-v3 by default: AVX2, FMA); on an older
// CPU its first vector instruction would kill the process. The entry points (the C API and the
// Python module, compiled without that level) ask first and refuse with a message instead. Only
// include this from code compiled for the baseline.
#pragma once

#include <string>

namespace synthfx {

// Empty when the CPU can run the engine; otherwise what it lacks and how to get a build that runs.
inline std::string cpu_level_problem() {
#if defined(SYNTHFX_ENGINE_X86_LEVEL) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    const std::string level = SYNTHFX_ENGINE_X86_LEVEL;
    bool ok = true;
#if defined(__clang__)
    // Clang names single features only; AVX2 and FMA stand for x86-64-v3.
    if (level == "x86-64-v3" || level == "x86-64-v4")
        ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (level == "x86-64-v4") ok = ok && __builtin_cpu_supports("avx512f");
#else
    if (level == "x86-64-v2") ok = __builtin_cpu_supports("x86-64-v2");
    if (level == "x86-64-v3") ok = __builtin_cpu_supports("x86-64-v3");
    if (level == "x86-64-v4") ok = __builtin_cpu_supports("x86-64-v4");
#endif
    if (!ok) {
        const char* what = level == "x86-64-v3" ? " (AVX2, FMA)" : "";
        return "this synthfx engine was built for " + level + what +
               " and this CPU lacks it: rebuild with -DSYNTHFX_X86_LEVEL= (the compiler's "
               "baseline) for this machine";
    }
#endif
    return {};
}

}  // namespace synthfx
