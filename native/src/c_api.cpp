// SPDX-License-Identifier: Apache-2.0
// The C ABI: converts plain structs, and every exception into a status code and a message.
#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "cpu_level.h"
#include "synthfx/synthesis.h"
#include "synthfx/synthfx.h"

namespace {

synthfx::ImageView view(const sfx_image* image) {
    if (image == nullptr) return {};
    return {image->data, image->width, image->height, image->channels};
}

void write_message(char* buffer, int32_t size, const char* text) {
    if (buffer == nullptr || size <= 0) return;
    const std::size_t n = std::min(std::strlen(text), std::size_t(size - 1));
    std::memcpy(buffer, text, n);
    buffer[n] = '\0';
}

}  // namespace

extern "C" {

void sfx_default_params(sfx_params* params) {
    if (params == nullptr) return;
    const synthfx::SynthesisParams d;
    params->style_weight = d.style_weight;
    params->uniformity = d.uniformity;
    params->patch_size = d.patch_size;
    params->pyramid_levels = d.pyramid_levels;
    params->search_vote_iters = d.search_vote_iters;
    params->patchmatch_iters = d.patchmatch_iters;
    params->stop_threshold = d.stop_threshold;
    params->extra_pass_3x3 = d.extra_pass_3x3 ? 1 : 0;
    params->vote_mode = int32_t(d.vote_mode);
    params->seed = d.seed;
    params->threads = d.threads;
    params->backend = int32_t(d.backend);
}

sfx_status sfx_synthesize(const sfx_image* style, const sfx_guide* guides, int32_t guide_count,
                          const sfx_image* modulation, const sfx_image* source_mask,
                          const sfx_params* params, sfx_output* output, char* message,
                          int32_t message_size) {
    return sfx_synthesize_ex(style, guides, guide_count, modulation, source_mask, params, nullptr,
                             output, message, message_size);
}

sfx_status sfx_synthesize_ex(const sfx_image* style, const sfx_guide* guides, int32_t guide_count,
                             const sfx_image* modulation, const sfx_image* source_mask,
                             const sfx_params* params, const sfx_control* control,
                             sfx_output* output, char* message, int32_t message_size) {
    return sfx_synthesize_seeded(style, guides, guide_count, modulation, source_mask, nullptr,
                                 params, control, output, message, message_size);
}

sfx_status sfx_synthesize_seeded(const sfx_image* style, const sfx_guide* guides,
                                 int32_t guide_count, const sfx_image* modulation,
                                 const sfx_image* source_mask, const sfx_nnf* initial_nnf,
                                 const sfx_params* params, const sfx_control* control,
                                 sfx_output* output, char* message, int32_t message_size) {
    write_message(message, message_size, "");
    const std::string cpu_problem = synthfx::cpu_level_problem();
    if (!cpu_problem.empty()) {
        write_message(message, message_size, cpu_problem.c_str());
        return SFX_UNAVAILABLE;
    }
    try {
        if (style == nullptr || params == nullptr || output == nullptr ||
            output->image == nullptr) {
            write_message(message, message_size,
                          "style, params, output and output->image are required");
            return SFX_INVALID_ARGUMENT;
        }
        if (guide_count < 0 || (guide_count > 0 && guides == nullptr)) {
            write_message(message, message_size, "guide_count is negative or guides is NULL");
            return SFX_INVALID_ARGUMENT;
        }
        synthfx::SynthesisInput input;
        input.style = view(style);
        for (int32_t i = 0; i < guide_count; ++i) {
            input.guides.push_back(
                {view(&guides[i].source), view(&guides[i].target), guides[i].weight});
        }
        input.modulation = view(modulation);
        input.source_mask = view(source_mask);
        if (initial_nnf != nullptr) {
            input.initial_nnf = {initial_nnf->data, initial_nnf->width, initial_nnf->height};
            input.initial_nnf_levels = initial_nnf->levels;
        }
        synthfx::SynthesisParams p;
        p.style_weight = params->style_weight;
        p.uniformity = params->uniformity;
        p.patch_size = params->patch_size;
        p.pyramid_levels = params->pyramid_levels;
        p.search_vote_iters = params->search_vote_iters;
        p.patchmatch_iters = params->patchmatch_iters;
        p.stop_threshold = params->stop_threshold;
        p.extra_pass_3x3 = params->extra_pass_3x3 != 0;
        p.vote_mode = synthfx::VoteMode(params->vote_mode);
        p.seed = params->seed;
        p.threads = params->threads;
        p.backend = synthfx::BackendKind(params->backend);
        synthfx::SynthesisControl engine_control;
        if (control != nullptr && control->progress != nullptr) {
            engine_control.progress = [control](float fraction) {
                return control->progress(control->user, fraction) != 0;
            };
        }
        const synthfx::SynthesisResult result = synthfx::synthesize(input, p, &engine_control);
        std::copy(result.image.begin(), result.image.end(), output->image);
        if (output->nnf) std::copy(result.nnf.begin(), result.nnf.end(), output->nnf);
        if (output->error) std::copy(result.error.begin(), result.error.end(), output->error);
        return SFX_OK;
    } catch (const synthfx::SynthesisError& e) {
        write_message(message, message_size, e.what());
        return sfx_status(int(e.code()));
    } catch (const std::bad_alloc&) {
        write_message(message, message_size, "out of memory");
        return SFX_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        write_message(message, message_size, e.what());
        return SFX_INTERNAL;
    } catch (...) {
        write_message(message, message_size, "unknown internal error");
        return SFX_INTERNAL;
    }
}

int32_t sfx_cuda_available(char* reason, int32_t reason_size) {
    write_message(reason, reason_size, "");
    try {
        std::string why;
        const bool ok = synthfx::cuda_available(&why);
        write_message(reason, reason_size, why.c_str());
        return ok ? 1 : 0;
    } catch (const std::exception& e) {
        write_message(reason, reason_size, e.what());
        return 0;
    } catch (...) {
        write_message(reason, reason_size, "unknown internal error");
        return 0;
    }
}

uint64_t sfx_cuda_last_peak_bytes(void) { return uint64_t(synthfx::cuda_last_peak_bytes()); }

const char* sfx_version(void) { return synthfx::version(); }

}  // extern "C"
