// LEB128 varints of the stream's binary records (docs/formats/events.md): the event record and
// the deletion marker share the encoding.
#pragma once

#include <cstdint>
#include <string>

namespace foryou::stream {

// Appends v as an unsigned LEB128 varint: 7 bits per byte, low first, high bit = more follows.
inline void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

}  // namespace foryou::stream
