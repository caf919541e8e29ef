// SPDX-License-Identifier: Apache-2.0
#include "sheet_layout.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace synthfx::ofx {
namespace {

// A JSON value: numbers, objects and arrays are kept; strings, booleans and null are skipped.
struct Value {
    enum class Kind { Number, Object, Array, Other } kind = Kind::Other;
    double number = 0;
    std::map<std::string, std::unique_ptr<Value>> members;
    std::vector<std::unique_ptr<Value>> items;
};

// Deep enough for a layout (4 levels); bounds the recursion on hostile input.
constexpr int kMaxDepth = 32;

class Parser {
  public:
    explicit Parser(const std::string& text) : _text(text) {}

    std::unique_ptr<Value> document() {
        auto value = parse(0);
        skipSpace();
        if (_at != _text.size()) fail("text after the JSON value");
        return value;
    }

  private:
    [[noreturn]] void fail(const std::string& what) const {
        throw std::invalid_argument("not a key sheet layout (" + what + " at character " +
                                    std::to_string(_at) + ")");
    }
    void skipSpace() {
        while (_at < _text.size() && std::isspace(static_cast<unsigned char>(_text[_at]))) ++_at;
    }
    bool take(char c) {
        skipSpace();
        if (_at < _text.size() && _text[_at] == c) {
            ++_at;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!take(c)) fail(std::string("expected '") + c + "'");
    }
    std::string string() {
        expect('"');
        std::string out;
        while (_at < _text.size() && _text[_at] != '"') {
            if (_text[_at] == '\\') ++_at;  // escapes only matter to field names: kept as is
            if (_at < _text.size()) out += _text[_at++];
        }
        if (_at >= _text.size()) fail("an unterminated string");
        ++_at;
        return out;
    }
    std::unique_ptr<Value> parse(int depth) {
        if (depth > kMaxDepth) fail("nesting too deep");
        skipSpace();
        if (_at >= _text.size()) fail("a missing value");
        auto value = std::make_unique<Value>();
        const char c = _text[_at];
        if (c == '{') {
            value->kind = Value::Kind::Object;
            ++_at;
            if (take('}')) return value;
            do {
                std::string name = string();
                expect(':');
                value->members[name] = parse(depth + 1);
            } while (take(','));
            expect('}');
        } else if (c == '[') {
            value->kind = Value::Kind::Array;
            ++_at;
            if (take(']')) return value;
            do {
                value->items.push_back(parse(depth + 1));
            } while (take(','));
            expect(']');
        } else if (c == '"') {
            string();
        } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
            value->kind = Value::Kind::Number;
            const char* start = _text.c_str() + _at;
            char* end = nullptr;
            value->number = std::strtod(start, &end);
            _at += static_cast<size_t>(end - start);
        } else {
            for (const char* word : {"true", "false", "null"}) {
                if (_text.compare(_at, std::strlen(word), word) == 0) {
                    _at += std::strlen(word);
                    return value;
                }
            }
            fail("an unexpected character");
        }
        return value;
    }

    const std::string& _text;
    size_t _at = 0;
};

const Value& member(const Value& object, const std::string& name, const std::string& where) {
    const auto found = object.members.find(name);
    if (object.kind != Value::Kind::Object || found == object.members.end()) {
        throw std::invalid_argument("not a key sheet layout (" + where + name + " is missing)");
    }
    return *found->second;
}

int integer(const Value& value, const std::string& where) {
    if (value.kind != Value::Kind::Number || value.number != std::floor(value.number) ||
        std::fabs(value.number) > 1e9) {
        throw std::invalid_argument("not a key sheet layout (" + where + " is not an integer)");
    }
    return static_cast<int>(value.number);
}

}  // namespace

SheetLayoutInfo parseSheetLayout(const std::string& json) {
    const auto top = Parser(json).document();
    SheetLayoutInfo info;
    const Value& plate = member(*top, "plate", "");
    info.plateWidth = integer(member(plate, "width", "plate."), "plate.width");
    info.plateHeight = integer(member(plate, "height", "plate."), "plate.height");
    const Value& cells = member(*top, "cells", "");
    if (cells.kind != Value::Kind::Array) {
        throw std::invalid_argument("not a key sheet layout (cells is not a list)");
    }
    for (size_t i = 0; i < cells.items.size(); ++i) {
        const std::string where = "cells[" + std::to_string(i) + "].";
        info.frames.push_back(integer(member(*cells.items[i], "frame", where), where + "frame"));
    }
    return info;
}

std::string readTextFile(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw std::invalid_argument("cannot read " + path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

}  // namespace synthfx::ofx
