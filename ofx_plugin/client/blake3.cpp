// SPDX-License-Identifier: Apache-2.0
// BLAKE3 as its paper specifies it: the input is cut into 1024-byte chunks of 64-byte blocks;
// each chunk is chained through the compression function into a chaining value (CV), and CVs are
// merged pairwise by parent nodes of a left-balanced binary tree up to the root.
#include "blake3.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SYNTHFX_BLAKE3_VECTOR 1  // vector extensions; lanes are loaded straight from memory
#define SYNTHFX_BLAKE3_INLINE inline __attribute__((always_inline))
#if defined(__x86_64__) || defined(__i386__)
#define SYNTHFX_BLAKE3_X86 1
#endif
#if defined(__clang__)
#define SYNTHFX_BLAKE3_SHUFFLE(Mask, a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define SYNTHFX_BLAKE3_SHUFFLE(Mask, a, b, ...) __builtin_shuffle(a, b, Mask{__VA_ARGS__})
#endif
#else
#define SYNTHFX_BLAKE3_INLINE inline
#endif

namespace synthfx::ofx {
namespace {

constexpr size_t kBlockBytes = 64;
constexpr size_t kChunkBytes = 1024;
constexpr size_t kChunkBlocks = kChunkBytes / kBlockBytes;
constexpr uint32_t kChunkStart = 1, kChunkEnd = 2, kParent = 4, kRoot = 8;
constexpr uint32_t kIv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
// Chunks hashed together before their CVs are merged: 64 KiB, read once while in cache.
constexpr size_t kLeafChunks = 64;
// Inputs from this size on are worth starting threads for.
constexpr size_t kThreadedBytes = size_t(4) << 20;
constexpr unsigned kMaxThreads = 8;

struct Cv {
    uint32_t words[8];
};

#ifdef SYNTHFX_BLAKE3_VECTOR
typedef uint32_t u32x8 __attribute__((vector_size(32)));
typedef uint32_t u32x16 __attribute__((vector_size(64)));
typedef uint8_t u8x32 __attribute__((vector_size(32)));
#endif

// Round r reads message word kSchedule.word[r][i] where round 0 reads word i: the paper permutes
// the message between rounds, this applies the permutation to indices once, at compile time.
struct Schedule {
    uint8_t word[7][16];
};
constexpr Schedule makeSchedule() {
    constexpr uint8_t permutation[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};
    Schedule schedule{};
    for (int i = 0; i < 16; ++i) schedule.word[0][i] = static_cast<uint8_t>(i);
    for (int r = 1; r < 7; ++r) {
        for (int i = 0; i < 16; ++i) schedule.word[r][i] = schedule.word[r - 1][permutation[i]];
    }
    return schedule;
}
constexpr Schedule kSchedule = makeSchedule();

// The rounds are written once for a uint32_t (one input) and for vectors (one input per lane).
// Vectors are passed by reference: by value their ABI would differ between instruction sets.
// kShuffleBytes: rotations by 16 and 8 as one byte shuffle (AVX2's vpshufb) rather than two
// shifts and an or; SSE2 has no such shuffle, and AVX-512's rotate instruction needs none.
template <bool kShuffleBytes, class T> SYNTHFX_BLAKE3_INLINE void rotateRight(T& x, int n) {
#ifdef SYNTHFX_BLAKE3_VECTOR
    if constexpr (kShuffleBytes) {
        const auto bytes = (u8x32)x;  // vector casts reinterpret the bits
        if (n == 16) {
            x = (u32x8)(SYNTHFX_BLAKE3_SHUFFLE(u8x32, bytes, bytes, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11,
                                               8, 9, 14, 15, 12, 13, 18, 19, 16, 17, 22, 23, 20, 21,
                                               26, 27, 24, 25, 30, 31, 28, 29));
            return;
        }
        if (n == 8) {
            x = (u32x8)(SYNTHFX_BLAKE3_SHUFFLE(u8x32, bytes, bytes, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10,
                                               11, 8, 13, 14, 15, 12, 17, 18, 19, 16, 21, 22, 23,
                                               20, 25, 26, 27, 24, 29, 30, 31, 28));
            return;
        }
    }
#endif
    x = (x >> n) | (x << (32 - n));
}

template <bool kShuffleBytes, class T>
SYNTHFX_BLAKE3_INLINE void mix(T v[16], int a, int b, int c, int d, const T& x, const T& y) {
    v[a] += v[b] + x;
    v[d] ^= v[a];
    rotateRight<kShuffleBytes>(v[d], 16);
    v[c] += v[d];
    v[b] ^= v[c];
    rotateRight<kShuffleBytes>(v[b], 12);
    v[a] += v[b] + y;
    v[d] ^= v[a];
    rotateRight<kShuffleBytes>(v[d], 8);
    v[c] += v[d];
    v[b] ^= v[c];
    rotateRight<kShuffleBytes>(v[b], 7);
}

template <bool kShuffleBytes, class T> SYNTHFX_BLAKE3_INLINE void rounds(T v[16], const T m[16]) {
    for (int r = 0; r < 7; ++r) {
        const uint8_t* s = kSchedule.word[r];
        mix<kShuffleBytes>(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);  // columns
        mix<kShuffleBytes>(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        mix<kShuffleBytes>(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        mix<kShuffleBytes>(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        mix<kShuffleBytes>(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);  // diagonals
        mix<kShuffleBytes>(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        mix<kShuffleBytes>(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        mix<kShuffleBytes>(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
}

// The compression function, truncated to the 8 words a CV (or a 32-byte hash) needs.
Cv compress(const Cv& cv, const uint32_t m[16], uint64_t counter, uint32_t blockLen,
            uint32_t flags) {
    uint32_t v[16] = {cv.words[0],
                      cv.words[1],
                      cv.words[2],
                      cv.words[3],
                      cv.words[4],
                      cv.words[5],
                      cv.words[6],
                      cv.words[7],
                      kIv[0],
                      kIv[1],
                      kIv[2],
                      kIv[3],
                      uint32_t(counter),
                      uint32_t(counter >> 32),
                      blockLen,
                      flags};
    rounds<false>(v, m);
    Cv out;
    for (int i = 0; i < 8; ++i) out.words[i] = v[i] ^ v[i + 8];
    return out;
}

Cv ivCv() {
    Cv cv;
    std::memcpy(cv.words, kIv, sizeof kIv);
    return cv;
}

// One chunk of up to 1024 bytes (the only one of an input up to that size: rootFlag kRoot).
Cv chunkCv(const unsigned char* bytes, size_t size, uint64_t counter, uint32_t rootFlag) {
    Cv cv = ivCv();
    const size_t blocks = size == 0 ? 1 : (size + kBlockBytes - 1) / kBlockBytes;
    for (size_t b = 0; b < blocks; ++b) {
        const size_t length = std::min(kBlockBytes, size - b * kBlockBytes);
        unsigned char block[kBlockBytes] = {};  // the last block is zero-padded
        if (length) std::memcpy(block, bytes + b * kBlockBytes, length);
        uint32_t m[16];
        for (int i = 0; i < 16; ++i) {
            m[i] = uint32_t(block[4 * i]) | uint32_t(block[4 * i + 1]) << 8 |
                   uint32_t(block[4 * i + 2]) << 16 | uint32_t(block[4 * i + 3]) << 24;
        }
        const uint32_t flags =
            (b == 0 ? kChunkStart : 0) | (b + 1 == blocks ? kChunkEnd | rootFlag : 0);
        cv = compress(cv, m, counter, uint32_t(length), flags);
    }
    return cv;
}

Cv parentCv(const Cv& left, const Cv& right, uint32_t rootFlag) {
    uint32_t m[16];
    std::memcpy(m, left.words, sizeof left.words);
    std::memcpy(m + 8, right.words, sizeof right.words);
    return compress(ivCv(), m, 0, kBlockBytes, kParent | rootFlag);
}

// Hashes `count` inputs at once, one per vector lane (count <= lanes), input j at
// base + j * stride: full chunks from chunk `counter` on (chunks), or parents (blocks 1, the
// two child CVs side by side).
using HashMany = void (*)(const unsigned char* base, size_t stride, size_t count, size_t blocks,
                          uint64_t counter, bool chunks, Cv* out);
struct Kernel {
    HashMany hashMany;  // null: scalar code only
    size_t lanes;
};

#ifdef SYNTHFX_BLAKE3_VECTOR
// Rows to columns: word i of 8 inputs becomes one vector. Interleaves 32-bit words of row pairs,
// then 64-bit pairs of those, then 128-bit halves (the cheap shuffles on AVX2).
SYNTHFX_BLAKE3_INLINE void transpose(u32x8 r[8]) {
    u32x8 a[8], b[8];
    for (int i = 0; i < 8; i += 2) {
        a[i] = SYNTHFX_BLAKE3_SHUFFLE(u32x8, r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        a[i + 1] = SYNTHFX_BLAKE3_SHUFFLE(u32x8, r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int i = 0; i < 8; i += 4) {  // b[i + c]: rows i..i+3 of columns c and c + 4
        for (int k = 0; k < 2; ++k) {
            const u32x8 &x = a[i + k], &y = a[i + 2 + k];
            b[i + 2 * k] = SYNTHFX_BLAKE3_SHUFFLE(u32x8, x, y, 0, 1, 8, 9, 4, 5, 12, 13);
            b[i + 2 * k + 1] = SYNTHFX_BLAKE3_SHUFFLE(u32x8, x, y, 2, 3, 10, 11, 6, 7, 14, 15);
        }
    }
    for (int c = 0; c < 4; ++c) {
        r[c] = SYNTHFX_BLAKE3_SHUFFLE(u32x8, b[c], b[4 + c], 0, 1, 2, 3, 8, 9, 10, 11);
        r[c + 4] = SYNTHFX_BLAKE3_SHUFFLE(u32x8, b[c], b[4 + c], 4, 5, 6, 7, 12, 13, 14, 15);
    }
}

// m[i]: word i of the block at `offset` in each lane's input.
SYNTHFX_BLAKE3_INLINE void loadWords(u32x8 m[16], const unsigned char* const rows[8],
                                     size_t offset) {
    for (int j = 0; j < 8; ++j) {
        std::memcpy(&m[j], rows[j] + offset, 32);
        std::memcpy(&m[8 + j], rows[j] + offset + 32, 32);
    }
    transpose(m);
    transpose(m + 8);
}

// The same for 16 rows of 16 words, where columns c, c + 4, c + 8, c + 12 then lie in the 128-bit
// blocks of b[c], b[4 + c], b[8 + c] and b[12 + c] (rows 0-3, 4-7, 8-11, 12-15): two steps of
// block shuffles gather each column's four blocks.
SYNTHFX_BLAKE3_INLINE void transpose(u32x16 r[16]) {
    u32x16 a[16], b[16];
    for (int i = 0; i < 16; i += 2) {
        a[i] = SYNTHFX_BLAKE3_SHUFFLE(u32x16, r[i], r[i + 1], 0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9,
                                      25, 12, 28, 13, 29);
        a[i + 1] = SYNTHFX_BLAKE3_SHUFFLE(u32x16, r[i], r[i + 1], 2, 18, 3, 19, 6, 22, 7, 23, 10,
                                          26, 11, 27, 14, 30, 15, 31);
    }
    for (int i = 0; i < 16; i += 4) {  // b[i + c]: rows i..i+3 of column 4k + c in block k
        for (int k = 0; k < 2; ++k) {
            const u32x16 &x = a[i + k], &y = a[i + 2 + k];
            b[i + 2 * k] = SYNTHFX_BLAKE3_SHUFFLE(u32x16, x, y, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9,
                                                  24, 25, 12, 13, 28, 29);
            b[i + 2 * k + 1] = SYNTHFX_BLAKE3_SHUFFLE(u32x16, x, y, 2, 3, 18, 19, 6, 7, 22, 23, 10,
                                                      11, 26, 27, 14, 15, 30, 31);
        }
    }
#define SYNTHFX_BLAKE3_EVEN_BLOCKS(x, y)                                                           \
    SYNTHFX_BLAKE3_SHUFFLE(u32x16, x, y, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27)
#define SYNTHFX_BLAKE3_ODD_BLOCKS(x, y)                                                            \
    SYNTHFX_BLAKE3_SHUFFLE(u32x16, x, y, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31)
    for (int c = 0; c < 4; ++c) {
        const u32x16 even0 = SYNTHFX_BLAKE3_EVEN_BLOCKS(b[c], b[4 + c]);
        const u32x16 odd0 = SYNTHFX_BLAKE3_ODD_BLOCKS(b[c], b[4 + c]);
        const u32x16 even1 = SYNTHFX_BLAKE3_EVEN_BLOCKS(b[8 + c], b[12 + c]);
        const u32x16 odd1 = SYNTHFX_BLAKE3_ODD_BLOCKS(b[8 + c], b[12 + c]);
        r[c] = SYNTHFX_BLAKE3_EVEN_BLOCKS(even0, even1);
        r[4 + c] = SYNTHFX_BLAKE3_EVEN_BLOCKS(odd0, odd1);
        r[8 + c] = SYNTHFX_BLAKE3_ODD_BLOCKS(even0, even1);
        r[12 + c] = SYNTHFX_BLAKE3_ODD_BLOCKS(odd0, odd1);
    }
#undef SYNTHFX_BLAKE3_EVEN_BLOCKS
#undef SYNTHFX_BLAKE3_ODD_BLOCKS
}

SYNTHFX_BLAKE3_INLINE void loadWords(u32x16 m[16], const unsigned char* const rows[16],
                                     size_t offset) {
    for (int j = 0; j < 16; ++j) std::memcpy(&m[j], rows[j] + offset, 64);
    transpose(m);
}

SYNTHFX_BLAKE3_INLINE void storeCvs(u32x8 cv[8], Cv* out) {
    transpose(cv);
    for (int j = 0; j < 8; ++j) std::memcpy(out[j].words, &cv[j], sizeof out[j].words);
}

SYNTHFX_BLAKE3_INLINE void storeCvs(u32x16 cv[8], Cv* out) {
    u32x8 low[8], high[8];
    for (int i = 0; i < 8; ++i) {
        std::memcpy(&low[i], &cv[i], 32);
        std::memcpy(&high[i], reinterpret_cast<const char*>(&cv[i]) + 32, 32);
    }
    storeCvs(low, out);
    storeCvs(high, out + 8);
}

// The HashMany of V's lanes, compiled once per instruction set.
template <class V, bool kShuffleBytes>
SYNTHFX_BLAKE3_INLINE void hashManyBody(const unsigned char* base, size_t stride, size_t count,
                                        size_t blocks, uint64_t counter, bool chunks, Cv* out) {
    constexpr size_t lanes = sizeof(V) / sizeof(uint32_t);
    const unsigned char* rows[lanes];
    uint32_t counterWords[2][lanes];
    for (size_t j = 0; j < lanes; ++j) {
        const size_t input = std::min(j, count - 1);  // spare lanes repeat the last input
        rows[j] = base + input * stride;
        const uint64_t c = chunks ? counter + input : 0;
        counterWords[0][j] = uint32_t(c);
        counterWords[1][j] = uint32_t(c >> 32);
    }
    V counterLow, counterHigh, cv[8];
    std::memcpy(&counterLow, counterWords[0], sizeof counterLow);
    std::memcpy(&counterHigh, counterWords[1], sizeof counterHigh);
    for (int i = 0; i < 8; ++i) cv[i] = V{} + kIv[i];
    for (size_t b = 0; b < blocks; ++b) {
        V m[16];
        loadWords(m, rows, b * kBlockBytes);
        for (size_t j = 0; j < lanes; ++j) {  // the next batch's block; memory is slower than us
            __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(rows[j]) +
                                                             lanes * stride + b * kBlockBytes));
        }
        const uint32_t flags =
            chunks ? (b == 0 ? kChunkStart : 0) | (b + 1 == blocks ? kChunkEnd : 0) : kParent;
        V v[16] = {
            cv[0],        cv[1],        cv[2],      cv[3],        cv[4],
            cv[5],        cv[6],        cv[7],      V{} + kIv[0], V{} + kIv[1],
            V{} + kIv[2], V{} + kIv[3], counterLow, counterHigh,  V{} + uint32_t(kBlockBytes),
            V{} + flags};
        rounds<kShuffleBytes>(v, m);
        for (int i = 0; i < 8; ++i) cv[i] = v[i] ^ v[i + 8];
    }
    Cv all[lanes];
    storeCvs(cv, all);
    std::memcpy(out, all, count * sizeof(Cv));  // after all loads: parents merge in place
}

void hashManyGeneric(const unsigned char* base, size_t stride, size_t count, size_t blocks,
                     uint64_t counter, bool chunks, Cv* out) {
    hashManyBody<u32x8, false>(base, stride, count, blocks, counter, chunks, out);
}

#ifdef SYNTHFX_BLAKE3_X86
__attribute__((target("avx2"))) void hashManyAvx2(const unsigned char* base, size_t stride,
                                                  size_t count, size_t blocks, uint64_t counter,
                                                  bool chunks, Cv* out) {
    hashManyBody<u32x8, true>(base, stride, count, blocks, counter, chunks, out);
}

__attribute__((target("avx512f"))) void hashManyAvx512(const unsigned char* base, size_t stride,
                                                       size_t count, size_t blocks,
                                                       uint64_t counter, bool chunks, Cv* out) {
    hashManyBody<u32x16, false>(base, stride, count, blocks, counter, chunks, out);
}
#endif
#endif  // SYNTHFX_BLAKE3_VECTOR

Kernel pickKernel(Blake3Kernel wanted) {
#ifdef SYNTHFX_BLAKE3_VECTOR
    if (wanted == Blake3Kernel::Scalar) return {nullptr, 1};
#ifdef SYNTHFX_BLAKE3_X86
    static const bool avx2 = (__builtin_cpu_init(), __builtin_cpu_supports("avx2") != 0);
    static const bool avx512 = __builtin_cpu_supports("avx512f") != 0;
    const bool best = wanted == Blake3Kernel::Best;
    if ((best || wanted == Blake3Kernel::Avx512) && avx512) return {hashManyAvx512, 16};
    if ((best || wanted == Blake3Kernel::Avx512 || wanted == Blake3Kernel::Avx2) && avx2) {
        return {hashManyAvx2, 8};
    }
#endif
    return {hashManyGeneric, 8};
#else
    (void)wanted;
    return {nullptr, 1};
#endif
}

// Hashes `count` inputs as HashMany does, in batches of the kernel's lanes. A single input (or
// no kernel) takes the scalar code: a vector batch costs about as much as two scalar ones.
void hashBatches(const Kernel& kernel, const unsigned char* base, size_t stride, size_t count,
                 size_t blocks, uint64_t counter, bool chunks, Cv* out) {
    for (size_t i = 0; i < count; i += kernel.lanes) {
        const size_t n = std::min(kernel.lanes, count - i);
        if (kernel.hashMany && n > 1) {
            kernel.hashMany(base + i * stride, stride, n, blocks, counter + i, chunks, out + i);
        } else if (chunks) {
            out[i] = chunkCv(base + i * stride, kChunkBytes, counter + i, 0);
        } else {
            const auto* cvs = reinterpret_cast<const Cv*>(base + i * stride);
            out[i] = parentCv(cvs[0], cvs[1], 0);
        }
    }
}

// A subtree of `count` full chunks (a power of two), never the root. Merges its chunks' CVs
// level by level, in place: parent i's block is CVs 2i and 2i+1, 64 contiguous bytes.
Cv fullSubtreeCv(const Kernel& kernel, const unsigned char* bytes, size_t count, uint64_t counter) {
    if (count <= kLeafChunks) {
        Cv cvs[kLeafChunks];
        hashBatches(kernel, bytes, kChunkBytes, count, kChunkBlocks, counter, true, cvs);
        for (; count > 1; count /= 2) {
            hashBatches(kernel, reinterpret_cast<const unsigned char*>(cvs), 2 * sizeof(Cv),
                        count / 2, 1, 0, false, cvs);
        }
        return cvs[0];
    }
    const size_t half = count / 2;
    const Cv left = fullSubtreeCv(kernel, bytes, half, counter);
    const Cv right = fullSubtreeCv(kernel, bytes + half * kChunkBytes, half, counter + half);
    return parentCv(left, right, 0);
}

// The left child of a node over more than one chunk: the largest power-of-two number of chunks
// that leaves at least one byte to the right child.
size_t leftBytes(size_t size) {
    const size_t chunks = (size - 1) / kChunkBytes;
    size_t left = 1;
    while (left * 2 <= chunks) left *= 2;
    return left * kChunkBytes;
}

// The node over `size` bytes from chunk `counter` on; rootFlag kRoot for the whole input.
Cv nodeCv(const Kernel& kernel, const unsigned char* bytes, size_t size, uint64_t counter,
          uint32_t rootFlag) {
    if (size <= kChunkBytes) return chunkCv(bytes, size, counter, rootFlag);
    const size_t left = leftBytes(size);
    if (!rootFlag && size == 2 * left) {  // a full subtree: keep its chunks in vector batches
        return fullSubtreeCv(kernel, bytes, size / kChunkBytes, counter);
    }
    const Cv leftCv = fullSubtreeCv(kernel, bytes, left / kChunkBytes, counter);
    const Cv rightCv = nodeCv(kernel, bytes + left, size - left, counter + left / kChunkBytes, 0);
    return parentCv(leftCv, rightCv, rootFlag);
}

// Threads hash whole nodes (pieces) of the tree; the few parents above them are merged after.
struct Piece {
    size_t offset, size;
};

// Splits like nodeCv down to nodes of at most `limit` bytes, listed left to right.
void collectPieces(size_t offset, size_t size, size_t limit, std::vector<Piece>& pieces) {
    if (size <= limit) {
        pieces.push_back({offset, size});
        return;
    }
    const size_t left = leftBytes(size);
    collectPieces(offset, left, limit, pieces);
    collectPieces(offset + left, size - left, limit, pieces);
}

// Merges the pieces' CVs (`next`: the next one, left to right) as collectPieces split them.
Cv mergePieces(size_t size, size_t limit, const Cv*& next, uint32_t rootFlag) {
    if (size <= limit) return *next++;
    const size_t left = leftBytes(size);
    const Cv leftCv = mergePieces(left, limit, next, 0);
    const Cv rightCv = mergePieces(size - left, limit, next, 0);
    return parentCv(leftCv, rightCv, rootFlag);
}

Cv threadedRootCv(const Kernel& kernel, const unsigned char* bytes, size_t size, unsigned threads) {
    // Many pieces per thread, largest first, even out threads that get less of a CPU.
    const size_t limit = std::max(size_t(1) << 20, size / (size_t(threads) * 16));
    std::vector<Piece> pieces;
    collectPieces(0, size, limit, pieces);
    std::vector<Cv> cvs(pieces.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t i; (i = next.fetch_add(1)) < pieces.size();) {
            const Piece& piece = pieces[i];
            cvs[i] =
                nodeCv(kernel, bytes + piece.offset, piece.size, piece.offset / kChunkBytes, 0);
        }
    };
    std::vector<std::thread> helpers;
    for (unsigned t = 1; t < threads; ++t) {
        try {
            helpers.emplace_back(work);
        } catch (const std::system_error&) {
            break;  // fewer threads give the same hash
        }
    }
    work();
    for (auto& helper : helpers) helper.join();
    const Cv* cursor = cvs.data();
    return mergePieces(size, limit, cursor, kRoot);
}

}  // namespace

std::string blake3Hex(const void* data, size_t size) { return blake3Hex(data, size, 0); }

std::string blake3Hex(const void* data, size_t size, unsigned maxThreads, Blake3Kernel wanted) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    const Kernel kernel = pickKernel(wanted);
    const unsigned threads =
        maxThreads ? maxThreads : std::clamp(std::thread::hardware_concurrency(), 1u, kMaxThreads);
    const Cv root = threads > 1 && size >= kThreadedBytes
                        ? threadedRootCv(kernel, bytes, size, threads)
                        : nodeCv(kernel, bytes, size, 0, kRoot);
    static const char kHex[] = "0123456789abcdef";
    std::string hex(64, '0');
    for (int i = 0; i < 32; ++i) {  // words are little-endian in the hash's bytes
        const auto byte = static_cast<unsigned char>(root.words[i / 4] >> (8 * (i % 4)));
        hex[2 * i] = kHex[byte >> 4];
        hex[2 * i + 1] = kHex[byte & 15];
    }
    return hex;
}

}  // namespace synthfx::ofx
