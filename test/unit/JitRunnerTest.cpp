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

} // namespace
