// SPDX-License-Identifier: Apache-2.0
// Fills the proto's parameter messages from typed name/value options through protobuf reflection,
// so the field list is written once: in options.proto.
#pragma once

#include "backend_client.h"

#include "synthfx/v1/synthfx.pb.h"

#include <string>
#include <vector>

namespace synthfx::ofx {

// Empty on success, else a message naming the option and value.
std::string fillStylizeParams(const std::vector<JobOption>& options, v1::StylizeParams& params);
std::string fillEngineParams(const std::vector<JobOption>& options, v1::EngineParams& params);
std::string fillDeflickerParams(const std::vector<JobOption>& options, v1::DeflickerParams& params);
std::string fillSheetParams(const std::vector<JobOption>& options, v1::SheetParams& params);
std::string fillKeyframeParams(const std::vector<JobOption>& options, v1::KeyframeParams& params);

}  // namespace synthfx::ofx
