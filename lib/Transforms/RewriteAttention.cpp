//===- RewriteAttention.cpp - (in progress) -------------------------------*- C++ -*-===//

#include "effc/Transforms/Passes.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_REWRITEATTENTIONPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;

namespace {
struct RewriteAttentionPass : effc::impl::RewriteAttentionPassBase<RewriteAttentionPass> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
