//===- HlsQoR.h - analytical HLS quality-of-results model -------*- C++ -*-===//
//
// The cost model behind `--effc-hls-optimize`: a ScaleHLS-style analytical
// estimate of one layer's latency, initiation interval and DSP / BRAM18 /
// LUT use from its loop trip counts, the widths of its multiplies and the
// arrays it reads, for a given unroll factor of its reduction loop. The
// numbers are estimates for directive choice and reporting, not synthesis
// results.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_CONVERSION_HLS_HLSQOR_H
#define EFFC_CONVERSION_HLS_HLSQOR_H

#include <cstdint>
#include <utility>
#include <vector>

namespace mlir {
namespace effc {
namespace hls {

/// What the model needs to know about one multiply: its operand widths, or
/// `isFloat` for an IEEE f32 multiply.
struct MulShape {
  unsigned lhsBits = 0, rhsBits = 0;
  bool isFloat = false;
};

/// DSP48 slices of one multiplier (27x18 signed per slice; at most 4x4
/// bits go to LUTs; an f32 multiply takes 3).
int64_t dspPerMul(const MulShape &m);

/// LUTs of one multiplier mapped to LUTs (0 when it uses DSPs).
int64_t lutPerMul(const MulShape &m);

/// BRAM18 blocks (and LUTs for small LUTRAM banks, FFs for complete
/// partitioning) of an on-chip array of `elems` elements of `bits` bits split
/// into `banks` banks.
struct ArrayCost {
  int64_t bram = 0, lut = 0, ff = 0;
};
ArrayCost arrayCost(int64_t elems, unsigned bits, int64_t banks);

/// One layer: `outerTrips` iterations of a pipelined reduction of
/// `redTrip` steps (0: an elementwise nest whose innermost loop of
/// `rowTrip` steps is pipelined), `rowTrip` the trip count of the loop
/// right around the reduction (pipelined instead when the reduction is
/// unrolled completely), multiplies inside the reduction and after it.
struct LayerShape {
  int64_t outerTrips = 1; // product of the trips of the loops around the
                          // reduction (row loop included)
  int64_t rowTrip = 1;
  int64_t redTrip = 0;
  unsigned accBits = 32;
  std::vector<MulShape> redMuls, epilogueMuls;
  /// Reads per reduction step that cannot be spread over banks (a column
  /// read at a data-dependent index) unless their array is partitioned
  /// completely.
  bool randomReads = false;
  bool randomReadsComplete = false;
};

struct LayerEstimate {
  int64_t latency = 0, ii = 1, dsp = 0, lut = 0;
};

/// The estimate of `layer` with its reduction unrolled by `unroll` (a
/// divisor of redTrip; == redTrip unrolls completely) and a target II.
LayerEstimate estimateLayer(const LayerShape &layer, int64_t unroll,
                            int64_t targetIi);

} // namespace hls
} // namespace effc
} // namespace mlir

#endif // EFFC_CONVERSION_HLS_HLSQOR_H
