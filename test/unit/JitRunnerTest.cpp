//===- JitRunnerTest.cpp - the JIT runner's C++ API -------------*- C++ -*-===//
//
// Runs small functions through effc::JitRunner: several results of
// different ranks, a result that aliases an argument and one that is a
// constant global (neither may be freed), repeated calls, and the errors a
// caller gets for arrays that do not fit the signature.
//
//===----------------------------------------------------------------------===//

#include "effc/Runtime/JitRunner.h"
#include "effc/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace mlir;
using namespace mlir::effc;

namespace {

const char *kModule = R"(
func.func @f(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2xi32>, tensor<f32>, tensor<2x3xf32>) {
  %sum = arith.addf %x, %x : tensor<2x3xf32>
  %c = arith.constant dense<[7, 9]> : tensor<2xi32>
  %i0 = arith.constant 0 : index
  %i2 = arith.constant 2 : index
  %e = tensor.extract %x[%i0, %i2] : tensor<2x3xf32>
  %s = tensor.from_elements %e : tensor<f32>
  return %sum, %c, %s, %x : tensor<2x3xf32>, tensor<2xi32>, tensor<f32>, tensor<2x3xf32>
}
)";

class JitRunnerTest : public ::testing::Test {
protected:
  void SetUp() override {
    DialectRegistry registry;
    effc::registerAllDialects(registry);
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
    module = parseSourceString<ModuleOp>(kModule, ParserConfig(context.get()));
    ASSERT_TRUE(module);
  }

  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
};

NpyArray makeInput(float base) {
  NpyArray x(NpyDType::F32, {2, 3});
  for (int i = 0; i < 6; ++i) {
    float v = base + i;
    std::memcpy(x.data.data() + 4 * i, &v, 4);
  }
  return x;
}

TEST_F(JitRunnerTest, ResultsOfEveryKind) {
  auto runner = JitRunner::create(*module, "f", JitOptions());
  ASSERT_TRUE(bool(runner)) << llvm::toString(runner.takeError());
  const EntrySignature &sig = (*runner)->getSignature();
  ASSERT_EQ(sig.inputs.size(), 1u);
  ASSERT_EQ(sig.results.size(), 4u);
  // Repeated calls: the callee's buffers are freed, the argument and the
  // constant are not (a double free or a freed constant would crash).
  for (float base : {1.0f, 10.0f, -3.0f}) {
    llvm::Expected<JitResult> result = (*runner)->run({makeInput(base)});
    ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    ASSERT_EQ(result->outputs.size(), 4u);
    const NpyArray &sum = result->outputs[0], &c = result->outputs[1],
                   &s = result->outputs[2], &x = result->outputs[3];
    EXPECT_EQ(sum.shape, SmallVector<int64_t>({2, 3}));
    EXPECT_EQ(c.dtype, NpyDType::I32);
    EXPECT_TRUE(s.shape.empty());
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(sum.getAsDouble(i), 2 * (base + i));
      EXPECT_EQ(x.getAsDouble(i), base + i);
    }
    EXPECT_EQ(c.getAsDouble(0), 7);
    EXPECT_EQ(c.getAsDouble(1), 9);
    EXPECT_EQ(s.getAsDouble(0), base + 2);
    EXPECT_GE(result->milliseconds, 0);
  }
}

TEST_F(JitRunnerTest, ArraysThatDoNotFit) {
  auto runner = JitRunner::create(*module, "f", JitOptions());
  ASSERT_TRUE(bool(runner)) << llvm::toString(runner.takeError());
  llvm::Error none = (*runner)->run({}, nullptr);
  EXPECT_EQ(llvm::toString(std::move(none)),
            "@f takes 1 argument(s), but 0 array(s) were given");
  NpyArray wrong(NpyDType::F32, {3, 2});
  llvm::Error shape = (*runner)->run({wrong}, nullptr);
  EXPECT_EQ(llvm::toString(std::move(shape)),
            "input #0 is a 3x2xf32 array, but argument #0 of @f is "
            "tensor<2x3xf32>");
}

TEST_F(JitRunnerTest, MissingEntry) {
  JitOptions options;
  options.moduleName = "m.mlir";
  auto runner = JitRunner::create(*module, "g", options);
  ASSERT_FALSE(bool(runner));
  EXPECT_EQ(llvm::toString(runner.takeError()),
            "m.mlir: no function @g to run");
}

TEST_F(JitRunnerTest, RandomInputsAreSeeded) {
  auto func = module->lookupSymbol<func::FuncOp>("f");
  FailureOr<EntrySignature> sig = getEntrySignature(func);
  ASSERT_TRUE(succeeded(sig));
  SmallVector<NpyArray> a = makeRandomInputs(*sig, 3);
  SmallVector<NpyArray> b = makeRandomInputs(*sig, 3);
  SmallVector<NpyArray> c = makeRandomInputs(*sig, 4);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].data, b[0].data);
  EXPECT_NE(a[0].data, c[0].data);
}

// One compiled function with a dynamic batch and sequence runs on arrays of
// any matching shape: a linear layer raised from linalg.matmul on the CPU's
// dynamic-M GEMM, each call's result shaped like its input.
const char *kDynamicModule = R"(
func.func @lin(%x: tensor<?x?x4xf32>) -> tensor<?x?x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [0.0, 1.0], [-1.0, 0.5], [2.0, 0.0]]> : tensor<4x2xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x4xf32>
  %s = tensor.dim %x, %c1 : tensor<?x?x4xf32>
  %rows = tensor.collapse_shape %x [[0, 1], [2]] : tensor<?x?x4xf32> into tensor<?x4xf32>
  %m = tensor.dim %rows, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%m) : tensor<?x2xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<?x2xf32>) -> tensor<?x2xf32>
  %y = linalg.matmul ins(%rows, %w : tensor<?x4xf32>, tensor<4x2xf32>) outs(%f : tensor<?x2xf32>) -> tensor<?x2xf32>
  %r = tensor.expand_shape %y [[0, 1], [2]] output_shape [%b, %s, 2] : tensor<?x2xf32> into tensor<?x?x2xf32>
  return %r : tensor<?x?x2xf32>
}
)";

TEST_F(JitRunnerTest, DynamicShapesOneCompile) {
  OwningOpRef<ModuleOp> dyn =
      parseSourceString<ModuleOp>(kDynamicModule, ParserConfig(context.get()));
  ASSERT_TRUE(dyn);
  auto runner = JitRunner::create(*dyn, "lin", JitOptions());
  ASSERT_TRUE(bool(runner)) << llvm::toString(runner.takeError());
  EXPECT_EQ(
      (*runner)->getSignature().inputs[0].shape,
      SmallVector<int64_t>({ShapedType::kDynamic, ShapedType::kDynamic, 4}));
  const float w[4][2] = {{1, 2}, {0, 1}, {-1, 0.5f}, {2, 0}};
  for (auto [b, s] : {std::pair<int64_t, int64_t>{1, 1}, {2, 3}, {3, 17}}) {
    NpyArray x(NpyDType::F32, {b, s, 4});
    std::vector<float> xv(b * s * 4);
    for (size_t i = 0; i < xv.size(); ++i)
      xv[i] = 0.25f * float(i % 7) - 0.5f;
    std::memcpy(x.data.data(), xv.data(), 4 * xv.size());
    llvm::Expected<JitResult> result = (*runner)->run({x});
    ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    const NpyArray &y = result->outputs[0];
    ASSERT_EQ(y.shape, SmallVector<int64_t>({b, s, 2}));
    for (int64_t r = 0; r < b * s; ++r)
      for (int n = 0; n < 2; ++n) {
        float want = 0;
        for (int k = 0; k < 4; ++k)
          want += xv[r * 4 + k] * w[k][n];
        EXPECT_FLOAT_EQ(y.getAsDouble(r * 2 + n), want);
      }
  }
  // A static dim that does not match is an error naming the argument.
  NpyArray wrong(NpyDType::F32, {2, 3, 5});
  llvm::Error error = (*runner)->run({wrong}, nullptr);
  EXPECT_EQ(llvm::toString(std::move(error)),
            "input #0 is a 2x3x5xf32 array, but argument #0 of @lin is "
            "tensor<?x?x4xf32>");
}

} // namespace
