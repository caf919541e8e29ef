// SPDX-License-Identifier: Apache-2.0
#include "npy.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace testhost {

Array readNpy(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    char magic[8];
    in.read(magic, 8);
    if (std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error(path + ": not .npy");
    uint32_t headerLength = 0;
    if (magic[6] == 1) {
        uint16_t length;
        in.read(reinterpret_cast<char*>(&length), 2);
        headerLength = length;
    } else {
        in.read(reinterpret_cast<char*>(&headerLength), 4);
    }
    std::string header(headerLength, ' ');
    in.read(header.data(), headerLength);
    if (header.find("'<f4'") == std::string::npos || header.find("False") == std::string::npos) {
        throw std::runtime_error(path + ": need float32 C-order, got " + header);
    }
    std::smatch match;
    if (!std::regex_search(header, match, std::regex(R"(\((\d+),\s*(\d+),\s*(\d+)\))"))) {
        throw std::runtime_error(path + ": need shape (H, W, C), got " + header);
    }
    Array array;
    array.height = std::stoi(match[1]);
    array.width = std::stoi(match[2]);
    array.channels = std::stoi(match[3]);
    array.data.resize(size_t(array.height) * array.width * array.channels);
    in.read(reinterpret_cast<char*>(array.data.data()), array.data.size() * 4);
    if (!in) throw std::runtime_error(path + ": truncated");
    return array;
}

void writeNpy(const std::string& path, const Array& array) {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                         std::to_string(array.height) + ", " + std::to_string(array.width) + ", " +
                         std::to_string(array.channels) + "), }";
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    if (!out) throw std::runtime_error("cannot write " + path);
    out.write("\x93NUMPY\x01\x00", 8);
    const auto length = static_cast<uint16_t>(header.size());
    out.write(reinterpret_cast<const char*>(&length), 2);
    out << header;
    out.write(reinterpret_cast<const char*>(array.data.data()), array.data.size() * 4);
}

}  // namespace testhost
