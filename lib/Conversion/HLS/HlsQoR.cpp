//===- HlsQoR.cpp - analytical HLS quality-of-results model -----*- C++ -*-===//
//
// Latency: a pipelined loop of T iterations takes (T - 1) * II + depth
// cycles; loops around it multiply that by their trip counts (they are not
// pipelined themselves, as in ScaleHLS's estimator). Depth: 2 cycles of
// memory read, the multiplier's latency, an adder tree of log2(U) levels,
// the accumulation, plus the epilogue (requantization). II: the target,
// raised by memory ports when U reads of one array land on fewer than U / 2
// dual-port banks. Resources: U copies of the reduction's multipliers and
// adders, one of the epilogue's.
//
//===----------------------------------------------------------------------===//

#include "effc/Conversion/HLS/HlsQoR.h"

#include <algorithm>

using namespace mlir::effc::hls;

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

static int64_t log2Ceil(int64_t v) {
  int64_t l = 0;
  while ((int64_t(1) << l) < v)
    ++l;
  return l;
}

int64_t mlir::effc::hls::dspPerMul(const MulShape &m) {
  if (m.isFloat)
    return 3;
  unsigned lo = std::min(m.lhsBits, m.rhsBits);
  unsigned hi = std::max(m.lhsBits, m.rhsBits);
  if (hi <= 4)
    return 0;
  return ceilDiv(hi, 27) * ceilDiv(lo, 18);
}

int64_t mlir::effc::hls::lutPerMul(const MulShape &m) {
  if (dspPerMul(m) > 0)
    return 0;
  return int64_t(m.lhsBits) * m.rhsBits;
}

ArrayCost mlir::effc::hls::arrayCost(int64_t elems, unsigned bits,
                                     int64_t banks) {
  ArrayCost c;
  int64_t total = elems * int64_t(bits);
  banks = std::max<int64_t>(1, std::min(banks, elems));
  if (banks == elems) { // completely partitioned: registers
    c.ff = total;
    return c;
  }
  int64_t bankBits = ceilDiv(total, banks);
  if (bankBits <= 1024) { // small banks go to LUTRAM (64 bits per LUT)
    c.lut = banks * ceilDiv(bankBits, 64);
    return c;
  }
  c.bram = banks * ceilDiv(bankBits, 18 * 1024);
  return c;
}

static int64_t mulLatency(const MulShape &m) {
  if (m.isFloat)
    return 4;
  return dspPerMul(m) > 1 ? 4 : dspPerMul(m) == 1 ? 3 : 1;
}

LayerEstimate mlir::effc::hls::estimateLayer(const LayerShape &layer,
                                             int64_t unroll, int64_t targetIi) {
  LayerEstimate e;
  int64_t epilogueDepth = 1;
  for (const MulShape &m : layer.epilogueMuls) {
    e.dsp += dspPerMul(m);
    e.lut += lutPerMul(m);
    epilogueDepth += mulLatency(m);
  }
  if (!layer.epilogueMuls.empty())
    epilogueDepth += 3; // round, shift, clamp
  e.lut += 64 * 3;      // loop control of the nest
  if (layer.redTrip == 0) {
    // Elementwise: the innermost loop is pipelined.
    e.ii = targetIi;
    int64_t outer = std::max<int64_t>(1, layer.outerTrips / layer.rowTrip);
    e.latency = outer * ((layer.rowTrip - 1) * e.ii + 2 + epilogueDepth);
    return e;
  }
  unroll = std::max<int64_t>(1, std::min(unroll, layer.redTrip));
  int64_t redDepth = 0;
  for (const MulShape &m : layer.redMuls) {
    e.dsp += unroll * dspPerMul(m);
    e.lut += unroll * lutPerMul(m);
    redDepth = std::max(redDepth, mulLatency(m));
  }
  e.lut += unroll * int64_t(layer.accBits); // adder tree and accumulator
  int64_t memIi = 1;
  if (layer.randomReads && !layer.randomReadsComplete)
    memIi = ceilDiv(unroll, 2); // U gathers from one dual-port array
  e.ii = std::max(targetIi, memIi);
  int64_t depth = 2 + redDepth + log2Ceil(unroll) + 1;
  if (unroll == layer.redTrip) {
    // Reduction unrolled completely: the row loop is the pipeline.
    int64_t outer = std::max<int64_t>(1, layer.outerTrips / layer.rowTrip);
    e.latency = outer * ((layer.rowTrip - 1) * e.ii + depth + epilogueDepth);
  } else {
    int64_t steps = ceilDiv(layer.redTrip, unroll);
    e.latency =
        layer.outerTrips * ((steps - 1) * e.ii + depth + epilogueDepth + 1);
  }
  return e;
}
