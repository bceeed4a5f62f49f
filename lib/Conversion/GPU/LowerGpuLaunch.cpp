//===- LowerGpuLaunch.cpp - host bodies of the GPU launch stubs -*- C++ -*-===//
//
// --effc-lower-gpu-launch: defines each launch stub `--effc-lower-gpu`
// declared, on memrefs after bufferization, as one async chain on one
// stream: device buffers for the operands and the output, copies in, the
// kernel launch, the copy out, frees, and a final wait. Kernel arguments
// marked as TMA tensor maps (kTensorMapArgAttr) get the device address of
// a CUtensorMap that effcCudaTensorMap2D encodes over the device copy of
// their source operand.
//
//===----------------------------------------------------------------------===//

#include "LowerGpu.h"

#include "effc/Conversion/GPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERGPULAUNCHPASS
#include "effc/Conversion/GPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

/// The runtime function that encodes a 2-D tiled tensor map and returns
/// its device address: (base, data type, rows, cols, row stride in bytes,
/// box rows, box cols, swizzle bytes) -> map.
constexpr llvm::StringLiteral kTensorMapFn = "effcCudaTensorMap2D";

func::FuncOp getTensorMapFn(ModuleOp module) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(kTensorMapFn))
    return fn;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  Type ptr = LLVM::LLVMPointerType::get(ctx), i32 = b.getI32Type(),
       i64 = b.getI64Type();
  auto fn = func::FuncOp::create(
      b, module.getLoc(), kTensorMapFn,
      b.getFunctionType({ptr, i32, i64, i64, i64, i32, i32, i32}, {ptr}));
  fn.setPrivate();
  return fn;
}

/// The CUtensorMapDataType that moves elements of `type`: f16, bf16, and
/// raw bytes for the 1-byte types (int8, fp8).
std::optional<int32_t> getTensorMapDataType(Type type) {
  if (type.isF16())
    return 6; // CU_TENSOR_MAP_DATA_TYPE_FLOAT16
  if (type.isBF16())
    return 9; // CU_TENSOR_MAP_DATA_TYPE_BFLOAT16
  if (type.getIntOrFloatBitWidth() == 8)
    return 0; // CU_TENSOR_MAP_DATA_TYPE_UINT8
  return std::nullopt;
}

/// The tensor map of kernel argument `map` over `buffer` (a row-major 2-D
/// device memref), or failure with a diagnostic.
FailureOr<Value> encodeTensorMap(OpBuilder &b, Location loc, func::FuncOp stub,
                                 DictionaryAttr map, Value buffer) {
  auto type = dyn_cast<MemRefType>(buffer.getType());
  auto box = map.getAs<DenseI64ArrayAttr>("box");
  auto swizzle = map.getAs<IntegerAttr>("swizzle");
  std::optional<int32_t> dataType =
      type ? getTensorMapDataType(type.getElementType()) : std::nullopt;
  if (!type || type.getRank() != 2 || !type.hasStaticShape() ||
      !type.getLayout().isIdentity() || !dataType || !box || box.size() != 2 ||
      !swizzle)
    return stub.emitError("TMA tensor map over an operand that is not a "
                          "static row-major 2-D memref of f16, bf16 or "
                          "8-bit elements, or without box and swizzle");
  auto i32 = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, v, 32).getResult();
  };
  auto i64 = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, v, 64).getResult();
  };
  Value address =
      memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
  address = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), address);
  address = LLVM::IntToPtrOp::create(
      b, loc, LLVM::LLVMPointerType::get(b.getContext()), address);
  int64_t rowBytes = type.getDimSize(1) * type.getElementTypeBitWidth() / 8;
  func::FuncOp fn = getTensorMapFn(stub->getParentOfType<ModuleOp>());
  return func::CallOp::create(
             b, loc, fn,
             ValueRange{address, i32(*dataType), i64(type.getDimSize(0)),
                        i64(type.getDimSize(1)), i64(rowBytes), i32(box[0]),
                        i32(box[1]), i32(swizzle.getInt())})
      .getResult(0);
}

LogicalResult defineStub(func::FuncOp stub) {
  auto kernelRef = stub->getAttrOfType<SymbolRefAttr>(kLaunchKernelAttr);
  auto grid = stub->getAttrOfType<DenseI64ArrayAttr>(kLaunchGridAttr);
  auto block = stub->getAttrOfType<DenseI64ArrayAttr>(kLaunchBlockAttr);
  auto kernel =
      SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(stub, kernelRef);
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
  // The trailing `outputs` arguments are written by the kernel.
  auto outputsAttr = stub->getAttrOfType<IntegerAttr>(kLaunchOutputsAttr);
  int64_t outputs = outputsAttr ? outputsAttr.getInt() : 1;
  if (outputs < 1 || outputs > stub.getNumArguments())
    return stub.emitError("GPU launch stub with ")
           << outputs << " outputs for " << stub.getNumArguments()
           << " arguments";
  unsigned firstOutput = stub.getNumArguments() - outputs;
  for (BlockArgument host : body->getArguments()) {
    // Runtime sizes (a dynamic batch or sequence) come from the host buffer.
    SmallVector<Value> dynSizes;
    auto hostTy = cast<MemRefType>(host.getType());
    for (int64_t d = 0; d < hostTy.getRank(); ++d)
      if (hostTy.isDynamicDim(d))
        dynSizes.push_back(memref::DimOp::create(b, loc, host, d));
    auto alloc =
        gpu::AllocOp::create(b, loc, host.getType(), tokenTy, ValueRange{token},
                             dynSizes, ValueRange{}, /*hostShared=*/false);
    token = alloc.getAsyncToken();
    if (host.getArgNumber() < firstOutput)
      token = gpu::MemcpyOp::create(b, loc, tokenTy, ValueRange{token},
                                    alloc.getMemref(), host)
                  .getAsyncToken();
    deviceArgs.push_back(alloc.getMemref());
  }
  SmallVector<Value> kernelArgs = deviceArgs;
  for (unsigned i = 0; i < kernel.getNumArguments(); ++i) {
    auto map = kernel.getArgAttrOfType<DictionaryAttr>(i, kTensorMapArgAttr);
    if (!map)
      continue;
    auto source = map.getAs<IntegerAttr>("source");
    if (!source || source.getInt() < 0 ||
        source.getInt() >= static_cast<int64_t>(deviceArgs.size()))
      return stub.emitError("TMA tensor map argument #")
             << i << " of @" << kernel.getName() << " without a valid source";
    FailureOr<Value> encoded =
        encodeTensorMap(b, loc, stub, map, deviceArgs[source.getInt()]);
    if (failed(encoded))
      return failure();
    kernelArgs[i] = *encoded;
  }
  Value sharedBytes;
  if (auto shared = stub->getAttrOfType<IntegerAttr>(kLaunchSharedAttr))
    sharedBytes = arith::ConstantIntOp::create(b, loc, shared.getInt(), 32);
  auto dim = [&](ArrayRef<int64_t> d) {
    return gpu::KernelDim3{arith::ConstantIndexOp::create(b, loc, d[0]),
                           arith::ConstantIndexOp::create(b, loc, d[1]),
                           arith::ConstantIndexOp::create(b, loc, d[2])};
  };
  SmallVector<int64_t> staticGrid(grid.asArrayRef());
  for (int64_t &g : staticGrid)
    if (ShapedType::isDynamic(g))
      g = 1; // replaced below
  gpu::KernelDim3 gridDims = dim(staticGrid);
  Value *gridAxes[] = {&gridDims.x, &gridDims.y, &gridDims.z};
  // Extents over runtime sizes: ceil(dim / tile) of a host argument.
  auto dynamicGrid =
      stub->getAttrOfType<DenseI64ArrayAttr>(kLaunchDynamicGridAttr);
  ArrayRef<int64_t> flat =
      dynamicGrid ? dynamicGrid.asArrayRef() : ArrayRef<int64_t>();
  if (flat.size() % 4)
    return stub.emitError("GPU launch stub with a malformed dynamic grid");
  for (size_t i = 0; i < flat.size(); i += 4) {
    int64_t axis = flat[i], arg = flat[i + 1], d = flat[i + 2],
            tile = flat[i + 3];
    auto argTy = arg >= 0 && arg < stub.getNumArguments()
                     ? dyn_cast<MemRefType>(stub.getArgumentTypes()[arg])
                     : MemRefType();
    if (axis < 0 || axis > 2 || !argTy || d < 0 || d >= argTy.getRank() ||
        tile <= 0)
      return stub.emitError("GPU launch stub with a malformed dynamic grid");
    Value size = memref::DimOp::create(b, loc, body->getArgument(arg), d);
    *gridAxes[axis] = arith::CeilDivUIOp::create(
        b, loc, size, arith::ConstantIndexOp::create(b, loc, tile));
  }
  for (int64_t axis = 0; axis < 3; ++axis)
    if (ShapedType::isDynamic(grid[static_cast<unsigned>(axis)]) &&
        !llvm::any_of(llvm::seq<size_t>(0, flat.size() / 4),
                      [&](size_t i) { return flat[4 * i] == axis; }))
      return stub.emitError("GPU launch stub with a runtime grid extent "
                            "but no size to compute it from");
  token = gpu::LaunchFuncOp::create(b, loc, kernel, gridDims,
                                    dim(block.asArrayRef()), sharedBytes,
                                    kernelArgs, tokenTy, ValueRange{token})
              .getAsyncToken();
  for (unsigned i = firstOutput; i < stub.getNumArguments(); ++i)
    token = gpu::MemcpyOp::create(b, loc, tokenTy, ValueRange{token},
                                  body->getArgument(i), deviceArgs[i])
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
