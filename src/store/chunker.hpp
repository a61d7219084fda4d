// Content-defined chunking, FastCDC-style: a gear rolling hash over the bytes; a cut where the top
// bits of the hash are zero, with a harder condition before the average size and an easier one
// after it ("normalized chunking"), so chunk sizes cluster near the average. The same content
// always cuts at the same places, so an insertion only changes the chunks around it.
//
// Format-defining constants (changing any of them changes how files are stored): the gear table
// (splitmix64 from seed 0x6d6c742d63646331 "mlt-cdc1"), min 256 KiB, average 1 MiB, max 4 MiB,
// 22 mask bits before the average, 18 after it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mlt::store {

struct ChunkSizes {
  std::size_t min = 256 * 1024;
  std::size_t avg = 1024 * 1024;
  std::size_t max = 4 * 1024 * 1024;
};

// The length of the chunk that starts at data[0], given n available bytes. Returns 0 when no cut
// was found and more data could still move it (n < max and not at the end of the input).
std::size_t find_cut(const std::uint8_t* data, std::size_t n, bool at_end, const ChunkSizes& sizes = {});

}  // namespace mlt::store
