// What the bits of a frame hash mean, for code that compares hashes without computing them
// (the duplicate index) and for the code that computes them (frame_hash.h, OpenCV).
#pragma once

#include <cstdint>

namespace foryou::moderation {

// Bits of a DctHash whose DCT coefficient has an odd horizontal frequency: mirroring the frame
// left-right flips the sign of exactly those coefficients, so
//   DctHash(mirrored frame) == DctHash(frame) ^ kDctMirrorMask.
inline constexpr uint64_t kDctMirrorMask = 0xAAAAAAAAAAAAAAAAull;

}  // namespace foryou::moderation
