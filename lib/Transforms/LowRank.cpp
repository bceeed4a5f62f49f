//===- LowRank.cpp - (in progress) -------------------------------*- C++ -*-===//

#include "effc/Transforms/Passes.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWRANKPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;

namespace {
struct LowRankPass : effc::impl::LowRankPassBase<LowRankPass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
