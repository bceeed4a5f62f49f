//===- DialectTest.cpp - effc dialect C++ API tests -------------*- C++ -*-===//
//
// Tests the attribute verifiers and op helpers through the C++ API, the way
// passes use them (getChecked on computed parameters), which the textual
// tests cannot reach.
//
//===----------------------------------------------------------------------===//

#include "effc/Dialect/EffcAttrs.h"
#include "effc/Dialect/EffcDialect.h"
#include "effc/Dialect/EffcOps.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::effc;

namespace {

/// A context with the effc dialect loaded that records every diagnostic.
class EffcDialectTest : public ::testing::Test {
protected:
  EffcDialectTest()
      : handler(&context, [this](Diagnostic &diag) {
          messages.push_back(diag.str());
          return success();
        }) {
    context.loadDialect<EffcDialect, func::FuncDialect>();
  }

  /// Emits diagnostics at an unknown location, as passes do when they build
  /// attributes from computed values.
  auto emitter() {
    return [this] { return mlir::emitError(UnknownLoc::get(&context)); };
  }

  /// Succeeds when exactly one diagnostic was emitted and it contains
  /// `text`; clears the recorded diagnostics.
  ::testing::AssertionResult diagnosed(StringRef text) {
    std::vector<std::string> got;
    got.swap(messages);
    if (got.size() == 1 && StringRef(got[0]).contains(text))
      return ::testing::AssertionSuccess();
    auto failure = ::testing::AssertionFailure()
                   << "expected one diagnostic containing '" << text.str()
                   << "', got " << got.size() << ":";
    for (const std::string &m : got)
      failure << "\n  " << m;
    return failure;
  }

  FloatAttr f64(double v) {
    return FloatAttr::get(Float64Type::get(&context), v);
  }

  // The generated getChecked takes int64_t; integer literals would pick the
  // variadic Base::getChecked template instead, so these pin the types.
  SparseEncodingAttr encoding(SparseFormat format, int64_t n, int64_t m,
                              int64_t rows, int64_t cols) {
    return SparseEncodingAttr::getChecked(emitter(), &context, format, n, m,
                                          rows, cols);
  }
  PrecisionPlanAttr precision(Precision weights, Precision activations,
                              Granularity granularity, int64_t groupSize) {
    return PrecisionPlanAttr::getChecked(emitter(), &context, weights,
                                         activations, granularity, groupSize,
                                         FloatAttr(), FloatAttr(), FloatAttr());
  }
  SparsityPlanAttr sparsity(PruneMethod method, FloatAttr fraction, int64_t n,
                            int64_t m, int64_t rows, int64_t cols) {
    return SparsityPlanAttr::getChecked(emitter(), &context, method, fraction,
                                        n, m, rows, cols);
  }

  MLIRContext context;
  std::vector<std::string> messages;
  ScopedDiagnosticHandler handler;
};

//===----------------------------------------------------------------------===//
// SparseEncodingAttr
//===----------------------------------------------------------------------===//

TEST_F(EffcDialectTest, SparseEncodingAcceptsValidParams) {
  auto csr = encoding(SparseFormat::csr, 0, 0, 0, 0);
  auto bsr = encoding(SparseFormat::bsr, 0, 0, 4, 8);
  auto nm = encoding(SparseFormat::nm, 2, 4, 0, 0);
  ASSERT_TRUE(csr && bsr && nm);
  EXPECT_TRUE(messages.empty());
  EXPECT_EQ(bsr.getFormat(), SparseFormat::bsr);
  EXPECT_EQ(bsr.getBlockRows(), 4);
  EXPECT_EQ(bsr.getBlockCols(), 8);
  EXPECT_EQ(nm.getN(), 2);
  EXPECT_EQ(nm.getM(), 4);
  // Attributes are uniqued: the parsed form is the same object.
  EXPECT_EQ(parseAttribute("#effc.sparse_encoding<format = nm, n = 2, m = 4>",
                           &context),
            Attribute(nm));
}

TEST_F(EffcDialectTest, SparseEncodingRejectsInvalidParams) {
  EXPECT_FALSE(encoding(SparseFormat::csr, 2, 4, 0, 0));
  EXPECT_TRUE(diagnosed("csr takes no n, m or block sizes"));
  EXPECT_FALSE(encoding(SparseFormat::bsr, 1, 0, 4, 4));
  EXPECT_TRUE(diagnosed("bsr takes no n or m"));
  EXPECT_FALSE(encoding(SparseFormat::bsr, 0, 0, 4, 0));
  EXPECT_TRUE(diagnosed("bsr needs positive block_rows and block_cols"));
  EXPECT_FALSE(encoding(SparseFormat::nm, 2, 4, 1, 1));
  EXPECT_TRUE(diagnosed("nm takes no block sizes"));
  EXPECT_FALSE(encoding(SparseFormat::nm, 4, 2, 0, 0));
  EXPECT_TRUE(diagnosed("nm needs 0 < n < m, got n = 4, m = 2"));
  EXPECT_FALSE(encoding(SparseFormat::nm, 0, 4, 0, 0));
  EXPECT_TRUE(diagnosed("nm needs 0 < n < m, got n = 0, m = 4"));
}

//===----------------------------------------------------------------------===//
// PrecisionPlanAttr
//===----------------------------------------------------------------------===//

TEST_F(EffcDialectTest, PrecisionPlanAcceptsValidParams) {
  auto tensor =
      precision(Precision::f32, Precision::bf16, Granularity::tensor, 0);
  auto channel =
      precision(Precision::i8, Precision::i8, Granularity::channel, 0);
  auto group =
      precision(Precision::i4, Precision::bf16, Granularity::group, 128);
  auto block =
      precision(Precision::f8e4m3, Precision::f8e4m3, Granularity::block, 128);
  ASSERT_TRUE(tensor && channel && group && block);
  EXPECT_TRUE(messages.empty());
  EXPECT_EQ(group.getWeights(), Precision::i4);
  EXPECT_EQ(group.getActivations(), Precision::bf16);
  EXPECT_EQ(group.getGroupSize(), 128);
}

TEST_F(EffcDialectTest, PrecisionPlanRejectsInvalidParams) {
  EXPECT_FALSE(
      precision(Precision::i4, Precision::bf16, Granularity::group, 0));
  EXPECT_TRUE(diagnosed("granularity 'group' needs a positive group_size"));
  EXPECT_FALSE(
      precision(Precision::f8e4m3, Precision::bf16, Granularity::block, -128));
  EXPECT_TRUE(diagnosed("granularity 'block' needs a positive group_size"));
  EXPECT_FALSE(
      precision(Precision::i8, Precision::i8, Granularity::channel, 32));
  EXPECT_TRUE(diagnosed(
      "group_size is only meaningful with granularity 'group' or 'block'"));
}

//===----------------------------------------------------------------------===//
// SparsityPlanAttr
//===----------------------------------------------------------------------===//

TEST_F(EffcDialectTest, SparsityPlanAcceptsValidParams) {
  auto magnitude = sparsity(PruneMethod::magnitude, f64(0.0), 0, 0, 0, 0);
  auto full = sparsity(PruneMethod::channel, f64(1.0), 0, 0, 0, 0);
  auto nm = sparsity(PruneMethod::nm, f64(0.5), 2, 4, 0, 0);
  auto block = sparsity(PruneMethod::block, f64(0.25), 0, 0, 4, 4);
  ASSERT_TRUE(magnitude && full && nm && block);
  EXPECT_TRUE(messages.empty());
  EXPECT_EQ(nm.getSparsity().getValueAsDouble(), 0.5);
  EXPECT_EQ(block.getBlockRows(), 4);
}

TEST_F(EffcDialectTest, SparsityPlanRejectsInvalidParams) {
  // A null sparsity cannot be written in textual IR (the parser wants a
  // float attribute), only built in C++.
  EXPECT_FALSE(sparsity(PruneMethod::magnitude, FloatAttr(), 0, 0, 0, 0));
  EXPECT_TRUE(diagnosed("sparsity must be a float"));
  EXPECT_FALSE(sparsity(PruneMethod::magnitude, f64(-0.5), 0, 0, 0, 0));
  EXPECT_TRUE(diagnosed("sparsity must be in [0, 1], got -5.000000e-01"));
  EXPECT_FALSE(sparsity(PruneMethod::magnitude,
                        f64(std::numeric_limits<double>::quiet_NaN()), 0, 0, 0,
                        0));
  EXPECT_TRUE(diagnosed("sparsity must be in [0, 1]"));
  EXPECT_FALSE(sparsity(PruneMethod::nm, f64(0.5), 4, 4, 0, 0));
  EXPECT_TRUE(diagnosed("nm needs 0 < n < m, got n = 4, m = 4"));
  EXPECT_FALSE(sparsity(PruneMethod::magnitude, f64(0.5), 2, 4, 0, 0));
  EXPECT_TRUE(diagnosed("n and m are only meaningful with method 'nm'"));
  EXPECT_FALSE(sparsity(PruneMethod::block, f64(0.5), 0, 0, 4, 0));
  EXPECT_TRUE(diagnosed("block needs positive block_rows and block_cols"));
  EXPECT_FALSE(sparsity(PruneMethod::head, f64(0.5), 0, 0, 2, 2));
  EXPECT_TRUE(diagnosed("block sizes are only meaningful with method 'block'"));
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

TEST_F(EffcDialectTest, AttentionScaleOrDefault) {
  const char *src = R"mlir(
    func.func @f(%q: tensor<2x8x16x64xf32>, %kv: tensor<2x2x32x64xf32>,
                 %q2: tensor<16x?xf32>, %kv2: tensor<32x?xf32>) {
      %0 = effc.attention %q, %kv, %kv {mask = #effc.mask<causal>}
          : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>,
            tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
      %1 = effc.attention %q, %kv, %kv {scale = 0.5 : f32}
          : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>,
            tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
      %2 = effc.attention %q2, %kv2, %kv2 {scale = 0.25 : f32}
          : tensor<16x?xf32>, tensor<32x?xf32>, tensor<32x?xf32>
          -> tensor<16x?xf32>
      return
    }
  )mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, &context);
  ASSERT_TRUE(module) << (messages.empty() ? "" : messages.front());
  std::vector<AttentionOp> ops;
  module->walk([&](AttentionOp op) { ops.push_back(op); });
  ASSERT_EQ(ops.size(), 3u);
  // The default is 1 / sqrt(D) with D = 64.
  EXPECT_DOUBLE_EQ(ops[0].getScaleOrDefault(), 1.0 / std::sqrt(64.0));
  EXPECT_EQ(ops[0].getMask(), MaskKind::causal);
  EXPECT_DOUBLE_EQ(ops[1].getScaleOrDefault(), 0.5);
  // An explicit scale is what makes a dynamic head dim valid.
  EXPECT_DOUBLE_EQ(ops[2].getScaleOrDefault(), 0.25);
  EXPECT_TRUE(messages.empty());
}

TEST_F(EffcDialectTest, AttentionDynamicHeadDimNeedsScale) {
  const char *src = R"mlir(
    func.func @f(%q: tensor<16x?xf32>, %kv: tensor<32x?xf32>) {
      %0 = effc.attention %q, %kv, %kv
          : tensor<16x?xf32>, tensor<32x?xf32>, tensor<32x?xf32>
          -> tensor<16x?xf32>
      return
    }
  )mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, &context);
  EXPECT_FALSE(module);
  EXPECT_TRUE(diagnosed("needs a static head dim or an explicit scale"));
}

} // namespace
