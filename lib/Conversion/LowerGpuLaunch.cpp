//===- LowerGpuLaunch.cpp - host bodies of the GPU launch stubs -*- C++ -*-===//
//
// --effc-lower-gpu-launch: defines each launch stub `--effc-lower-gpu`
// declared, on memrefs after bufferization, as one async chain on one
// stream: device buffers for the operands and the output, copies in, the
// kernel launch, the copy out, frees, and a final wait.
//
//===----------------------------------------------------------------------===//

#include "LowerGpu.h"

#include "effc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERGPULAUNCHPASS
#include "effc/Conversion/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

LogicalResult defineStub(func::FuncOp stub) {
  auto kernelRef = stub->getAttrOfType<SymbolRefAttr>(kLaunchKernelAttr);
  auto grid = stub->getAttrOfType<DenseI64ArrayAttr>(kLaunchGridAttr);
  auto block = stub->getAttrOfType<DenseI64ArrayAttr>(kLaunchBlockAttr);
  auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
      stub, kernelRef);
  if (!kernel || !grid || grid.size() != 3 || !block || block.size() != 3)
    return stub.emitError("GPU launch stub without a valid kernel, grid and "
                          "block");
  if (kernel.getNumArguments() != stub.getNumArguments())
    return stub.emitError("GPU launch stub and kernel @")
           << kernel.getName() << " disagree on the number of arguments";
  Location loc = stub.getLoc();
  Block *body = stub.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(body);
  Type tokenTy = gpu::AsyncTokenType::get(b.getContext());
  Value token =
      gpu::WaitOp::create(b, loc, tokenTy, ValueRange{}).getAsyncToken();
  SmallVector<Value> deviceArgs;
  unsigned last = stub.getNumArguments() - 1;
  for (BlockArgument host : body->getArguments()) {
    auto alloc = gpu::AllocOp::create(b, loc, host.getType(), tokenTy,
                                      ValueRange{token}, ValueRange{},
                                      ValueRange{}, /*hostShared=*/false);
    token = alloc.getAsyncToken();
    if (host.getArgNumber() != last)
      token = gpu::MemcpyOp::create(b, loc, tokenTy, ValueRange{token},
                                    alloc.getMemref(), host)
                  .getAsyncToken();
    deviceArgs.push_back(alloc.getMemref());
  }
  auto dim = [&](ArrayRef<int64_t> d) {
    return gpu::KernelDim3{arith::ConstantIndexOp::create(b, loc, d[0]),
                           arith::ConstantIndexOp::create(b, loc, d[1]),
                           arith::ConstantIndexOp::create(b, loc, d[2])};
  };
  token = gpu::LaunchFuncOp::create(b, loc, kernel, dim(grid.asArrayRef()),
                                    dim(block.asArrayRef()), Value(),
                                    deviceArgs, tokenTy, ValueRange{token})
              .getAsyncToken();
  token = gpu::MemcpyOp::create(b, loc, tokenTy, ValueRange{token},
                                body->getArgument(last), deviceArgs.back())
              .getAsyncToken();
  for (Value d : deviceArgs)
    token = gpu::DeallocOp::create(b, loc, tokenTy, ValueRange{token}, d)
                .getAsyncToken();
  gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
  func::ReturnOp::create(b, loc);
  return success();
}

struct LowerGpuLaunchPass
    : effc::impl::LowerGpuLaunchPassBase<LowerGpuLaunchPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isExternal() && func->hasAttr(kLaunchKernelAttr))
        if (failed(defineStub(func)))
          return signalPassFailure();
  }
};

} // namespace
