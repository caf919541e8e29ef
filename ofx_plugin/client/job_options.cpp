// SPDX-License-Identifier: Apache-2.0
#include "job_options.h"

#include <cctype>
#include <cstdio>
#include <limits>
#include <type_traits>

namespace synthfx::ofx {
namespace {
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// The enum value of a choice: ("MaskOutput", "over-source") -> "MASK_OUTPUT_OVER_SOURCE", as
// options.proto names them.
std::string enumValueName(const std::string& enumName, const std::string& choice) {
    std::string name;
    for (size_t i = 0; i < enumName.size(); ++i) {
        const unsigned char c = enumName[i];
        if (i > 0 && std::isupper(c)) name += '_';
        name += static_cast<char>(std::toupper(c));
    }
    name += '_';
    for (unsigned char c : choice) name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
    return name;
}

template <typename T> bool fits(long long value) {
    if constexpr (std::is_unsigned_v<T>) {
        return value >= 0 && static_cast<unsigned long long>(value) <=
                                 static_cast<unsigned long long>(std::numeric_limits<T>::max());
    } else {
        return value >= std::numeric_limits<T>::min() && value <= std::numeric_limits<T>::max();
    }
}

// Sets one scalar field; false when the value's type does not fit the field's.
bool setField(Message& message, const FieldDescriptor& field, const JobOption::Value& value) {
    const auto* reflection = message.GetReflection();
    const auto* integer = std::get_if<long long>(&value);
    const auto* number = std::get_if<double>(&value);
    const auto* flag = std::get_if<bool>(&value);
    const auto* text = std::get_if<std::string>(&value);
    switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE:
        if (!number) return false;
        reflection->SetDouble(&message, &field, *number);
        return true;
    case FieldDescriptor::CPPTYPE_INT32:
        if (!integer || !fits<int32_t>(*integer)) return false;
        reflection->SetInt32(&message, &field, static_cast<int32_t>(*integer));
        return true;
    case FieldDescriptor::CPPTYPE_UINT64:
        if (!integer || !fits<uint64_t>(*integer)) return false;
        reflection->SetUInt64(&message, &field, static_cast<uint64_t>(*integer));
        return true;
    case FieldDescriptor::CPPTYPE_BOOL:
        if (!flag) return false;
        reflection->SetBool(&message, &field, *flag);
        return true;
    case FieldDescriptor::CPPTYPE_STRING:
        if (!text) return false;
        reflection->SetString(&message, &field, *text);
        return true;
    case FieldDescriptor::CPPTYPE_ENUM: {
        if (!text) return false;
        const auto* type = field.enum_type();
        const auto* choice = type->FindValueByName(enumValueName(type->name(), *text));
        if (!choice) return false;
        reflection->SetEnum(&message, &field, choice);
        return true;
    }
    default: return false;
    }
}

std::string text(const JobOption::Value& value) {
    if (const auto* integer = std::get_if<long long>(&value)) return std::to_string(*integer);
    if (const auto* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
    if (const auto* number = std::get_if<double>(&value)) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", *number);
        return buffer;
    }
    return std::get<std::string>(value);
}

// JSON for the options map: numbers and booleans as they are, text quoted.
std::string jsonValue(const JobOption::Value& value) {
    const auto* quoted = std::get_if<std::string>(&value);
    if (!quoted) return text(value);
    std::string json = "\"";
    for (char c : *quoted) {
        if (c == '"' || c == '\\') json += '\\';
        json += c;
    }
    return json + "\"";
}

std::string badValue(const JobOption& option) {
    return "option " + option.name + " cannot take the value '" + text(option.value) + "'";
}

// A call's own scalar fields and, given its engine, the engine's ("engine." prefix).
std::string fillCallParams(const std::vector<JobOption>& options, Message& params,
                           v1::EngineParams* engine, const char* call) {
    for (const auto& option : options) {
        if (engine && option.name.rfind("engine.", 0) == 0) {
            const std::string error = fillEngineParams({option}, *engine);
            if (!error.empty()) return error;
            continue;
        }
        const auto* field = params.GetDescriptor()->FindFieldByName(option.name);
        if (!field || field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE ||
            field->is_repeated()) {
            return std::string("the backend protocol has no ") + call + " option " + option.name;
        }
        if (!setField(params, *field, option.value)) return badValue(option);
    }
    return {};
}

}  // namespace

std::string fillEngineParams(const std::vector<JobOption>& options, v1::EngineParams& params) {
    for (const auto& option : options) {
        std::string name = option.name;
        if (name.rfind("engine.", 0) == 0) name = name.substr(7);
        const auto* field = params.GetDescriptor()->FindFieldByName(name);
        if (!field) return "the backend protocol has no engine option " + option.name;
        if (!setField(params, *field, option.value)) return badValue(option);
    }
    return {};
}

std::string fillStylizeParams(const std::vector<JobOption>& options, v1::StylizeParams& params) {
    for (const auto& option : options) {
        if (option.name.rfind("engine.", 0) == 0) {
            const std::string error = fillEngineParams({option}, *params.mutable_engine());
            if (!error.empty()) return error;
            continue;
        }
        const auto* field = params.GetDescriptor()->FindFieldByName(option.name);
        if (field && field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE &&
            !field->is_repeated() && !field->is_map()) {
            if (!setField(params, *field, option.value)) return badValue(option);
        } else {
            (*params.mutable_options())[option.name] = jsonValue(option.value);
        }
    }
    return {};
}

std::string fillDeflickerParams(const std::vector<JobOption>& options,
                                v1::DeflickerParams& params) {
    return fillCallParams(options, params, params.mutable_engine(), "deflicker");
}

std::string fillKeyframeParams(const std::vector<JobOption>& options, v1::KeyframeParams& params) {
    return fillCallParams(options, params, params.mutable_engine(), "keyframe");
}

std::string fillSheetParams(const std::vector<JobOption>& options, v1::SheetParams& params) {
    return fillCallParams(options, params, nullptr, "key sheet");
}

}  // namespace synthfx::ofx
