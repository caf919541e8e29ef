// SPDX-License-Identifier: Apache-2.0
#include "job_options.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace synthfx::ofx {
namespace {
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return c == '-' ? '_' : static_cast<char>(std::toupper(c));
    });
    return text;
}

bool parseDouble(const std::string &text, double &value) {
    char *end = nullptr;
    value = std::strtod(text.c_str(), &end);
    return !text.empty() && end && *end == '\0';
}

// Sets one scalar field from text; false when the text does not fit the field's type.
bool setField(Message &message, const FieldDescriptor &field, const std::string &text) {
    const auto *reflection = message.GetReflection();
    double number = 0;
    switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE:
        if (!parseDouble(text, number)) return false;
        reflection->SetDouble(&message, &field, number);
        return true;
    case FieldDescriptor::CPPTYPE_FLOAT:
        if (!parseDouble(text, number)) return false;
        reflection->SetFloat(&message, &field, static_cast<float>(number));
        return true;
    case FieldDescriptor::CPPTYPE_INT32:
        if (!parseDouble(text, number)) return false;
        reflection->SetInt32(&message, &field, static_cast<int32_t>(number));
        return true;
    case FieldDescriptor::CPPTYPE_INT64:
        if (!parseDouble(text, number)) return false;
        reflection->SetInt64(&message, &field, static_cast<int64_t>(number));
        return true;
    case FieldDescriptor::CPPTYPE_UINT32:
        if (!parseDouble(text, number) || number < 0) return false;
        reflection->SetUInt32(&message, &field, static_cast<uint32_t>(number));
        return true;
    case FieldDescriptor::CPPTYPE_UINT64:
        if (!parseDouble(text, number) || number < 0) return false;
        reflection->SetUInt64(&message, &field, static_cast<uint64_t>(number));
        return true;
    case FieldDescriptor::CPPTYPE_BOOL:
        if (text != "true" && text != "false" && text != "1" && text != "0") return false;
        reflection->SetBool(&message, &field, text == "true" || text == "1");
        return true;
    case FieldDescriptor::CPPTYPE_STRING:
        reflection->SetString(&message, &field, text);
        return true;
    case FieldDescriptor::CPPTYPE_ENUM: {
        // "weighted" names VOTE_MODE_WEIGHTED: enum values carry the enum's name as prefix.
        const auto *type = field.enum_type();
        const auto *value = type->FindValueByName(upper(text));
        for (int i = 0; !value && i < type->value_count(); ++i) {
            const std::string &name = type->value(i)->name();
            const std::string suffix = "_" + upper(text);
            if (name.size() > suffix.size() &&
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
                value = type->value(i);
            }
        }
        if (!value) return false;
        reflection->SetEnum(&message, &field, value);
        return true;
    }
    default:
        return false;
    }
}

// JSON text for the options map: numbers and booleans as they are, anything else quoted.
std::string jsonValue(const std::string &text) {
    double number = 0;
    if (text == "true" || text == "false" || parseDouble(text, number)) return text;
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + "\"";
}

std::string badValue(const JobOption &option) {
    return "option " + option.name + " cannot take the value '" + option.value + "'";
}

} // namespace

std::string fillEngineParams(const std::vector<JobOption> &options, v1::EngineParams &params) {
    for (const auto &option : options) {
        std::string name = option.name;
        if (name.rfind("engine.", 0) == 0) name = name.substr(7);
        const auto *field = params.GetDescriptor()->FindFieldByName(name);
        if (!field) return "the backend protocol has no engine option " + option.name;
        if (!setField(params, *field, option.value)) return badValue(option);
    }
    return {};
}

std::string fillStylizeParams(const std::vector<JobOption> &options, v1::StylizeParams &params) {
    for (const auto &option : options) {
        if (option.name.rfind("engine.", 0) == 0) {
            const std::string error = fillEngineParams({option}, *params.mutable_engine());
            if (!error.empty()) return error;
            continue;
        }
        const auto *field = params.GetDescriptor()->FindFieldByName(option.name);
        if (field && field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE &&
            !field->is_repeated() && !field->is_map()) {
            if (!setField(params, *field, option.value)) return badValue(option);
        } else {
            (*params.mutable_options())[option.name] = jsonValue(option.value);
        }
    }
    return {};
}

} // namespace synthfx::ofx
