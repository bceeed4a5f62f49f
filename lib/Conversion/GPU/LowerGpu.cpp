//===- LowerGpu.cpp - effc ops to NVIDIA tensor-core kernels ----*- C++ -*-===//
//
// The driver of --effc-lower-gpu: picks the effc ops that have a kernel,
// prepares their constant operands at compile time (2:4 compression and
// metadata, the input zero point folded into the bias, per-channel
// requantization tables), instantiates the kernel templates of
// LowerGpuGemm.cpp / LowerGpuAttention.cpp in `gpu.module @effc_kernels`
// and replaces each op by host code that copies the operands to the
// device, launches the kernel and copies the result back.
//
//===----------------------------------------------------------------------===//

#include "LowerGpu.h"

#include "effc/Conversion/GPU/Passes.h"
#include "effc/Dialect/EffcOps.h"
#include "effc/Support/LinalgBuilders.h"
#include "effc/Support/QuantBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_LOWERGPUPASS
#include "effc/Conversion/GPU/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

//===----------------------------------------------------------------------===//
// Host side: copy in, launch, copy out
//===----------------------------------------------------------------------===//

/// Builds, at `b`'s insertion point, a call that runs `kernel` on
/// `operands` (tensors, in kernel argument order) and returns its output as
/// a tensor of `resultType`, whose dynamic dims are `resultDynSizes` (a
/// kernel over a runtime batch or sequence length). The call goes to a
/// body-less launch stub,
/// `@effc_launch_<kernel>(operand memrefs..., output memref)`, so that
/// bufferization and buffer deallocation see plain memref calls;
/// `--effc-lower-gpu-launch` gives the stubs their device code afterwards.
/// One output of a kernel: its tensor type and the sizes of its dynamic
/// dims.
struct KernelResult {
  RankedTensorType type;
  SmallVector<Value> dynSizes;
};

SmallVector<Value> launchOnDevice(OpBuilder &b, Location loc,
                                  const KernelLaunch &kernel,
                                  ArrayRef<Value> operands,
                                  ArrayRef<KernelResult> results) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> buffers;
  SmallVector<Type> types;
  for (Value t : operands) {
    auto tt = cast<RankedTensorType>(t.getType());
    auto mt = MemRefType::get(tt.getShape(), tt.getElementType());
    buffers.push_back(
        bufferization::ToBufferOp::create(b, loc, mt, t, /*read_only=*/true));
    types.push_back(mt);
  }
  SmallVector<Value> outs;
  for (const KernelResult &r : results) {
    auto outTy = MemRefType::get(r.type.getShape(), r.type.getElementType());
    outs.push_back(memref::AllocOp::create(b, loc, outTy, r.dynSizes));
    buffers.push_back(outs.back());
    types.push_back(outTy);
  }

  gpu::GPUFuncOp func = kernel.func;
  auto module =
      func->getParentOfType<gpu::GPUModuleOp>()->getParentOfType<ModuleOp>();
  std::string stubName = ("effc_launch_" + func.getName()).str();
  // Stubs go before the kernel module, next to the host functions.
  OpBuilder mb(module.getContext());
  mb.setInsertionPoint(func->getParentOfType<gpu::GPUModuleOp>());
  auto stub = func::FuncOp::create(mb, loc, stubName,
                                   FunctionType::get(ctx, types, {}));
  stub.setPrivate();
  stub->setAttr(
      kLaunchKernelAttr,
      SymbolRefAttr::get(StringAttr::get(ctx, "effc_kernels"),
                         {FlatSymbolRefAttr::get(func.getNameAttr())}));
  stub->setAttr(kLaunchGridAttr, DenseI64ArrayAttr::get(ctx, kernel.grid));
  stub->setAttr(kLaunchBlockAttr, DenseI64ArrayAttr::get(ctx, kernel.block));
  if (!kernel.dynamicGrid.empty()) {
    SmallVector<int64_t> flat;
    for (const DynamicGridDim &d : kernel.dynamicGrid)
      llvm::append_range(flat, ArrayRef<int64_t>{d.axis, d.arg, d.dim, d.tile});
    stub->setAttr(kLaunchDynamicGridAttr, DenseI64ArrayAttr::get(ctx, flat));
  }
  if (results.size() != 1)
    stub->setAttr(kLaunchOutputsAttr,
                  IntegerAttr::get(IntegerType::get(ctx, 32), results.size()));
  if (kernel.sharedBytes)
    stub->setAttr(kLaunchSharedAttr, IntegerAttr::get(IntegerType::get(ctx, 32),
                                                      kernel.sharedBytes));
  func::CallOp::create(b, loc, stub, buffers);
  SmallVector<Value> tensors;
  for (auto [r, out] : llvm::zip(results, outs))
    tensors.push_back(bufferization::ToTensorOp::create(b, loc, r.type, out,
                                                        /*restrict=*/true,
                                                        /*writable=*/true));
  return tensors;
}

/// launchOnDevice for a kernel with one output.
Value launchOnDevice(OpBuilder &b, Location loc, const KernelLaunch &kernel,
                     ArrayRef<Value> operands, RankedTensorType resultType,
                     ValueRange resultDynSizes = {}) {
  KernelResult r{resultType, SmallVector<Value>(resultDynSizes)};
  return launchOnDevice(b, loc, kernel, operands, ArrayRef<KernelResult>(r))
      .front();
}

Value constantTensor(OpBuilder &b, Location loc, RankedTensorType type,
                     ArrayRef<char> raw) {
  auto attr = DenseElementsAttr::getFromRawBuffer(type, raw);
  return arith::ConstantOp::create(b, loc, type, attr);
}

template <typename T>
Value constantTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                     Type elt, ArrayRef<T> values) {
  auto type = RankedTensorType::get(shape, elt);
  return arith::ConstantOp::create(b, loc, type,
                                   DenseElementsAttr::get(type, values));
}

/// The raw bytes of a dense constant tensor (splats expanded), or empty.
/// (WeightData's reader lives in EffcTransforms, which links after this
/// library.)
std::vector<char> constantBytes(Value v) {
  Attribute any;
  if (!matchPattern(v, m_Constant(&any)))
    return {};
  auto t = cast<RankedTensorType>(v.getType());
  int64_t bytes = (t.getElementTypeBitWidth() + 7) / 8;
  if (t.getElementTypeBitWidth() % 8)
    return {};
  // Weights imported from ONNX are dense_resource blobs.
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(any)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || static_cast<int64_t>(blob->getData().size()) !=
                     t.getNumElements() * bytes)
      return {};
    return std::vector<char>(blob->getData().begin(), blob->getData().end());
  }
  auto attr = dyn_cast<DenseElementsAttr>(any);
  if (!attr)
    return {};
  ArrayRef<char> raw = attr.getRawData();
  if (!attr.isSplat())
    return std::vector<char>(raw.begin(), raw.end());
  std::vector<char> out;
  out.reserve(t.getNumElements() * bytes);
  for (int64_t i = 0; i < t.getNumElements(); ++i)
    out.insert(out.end(), raw.begin(), raw.begin() + bytes);
  return out;
}

//===----------------------------------------------------------------------===//
// Epilogue fusion
//===----------------------------------------------------------------------===//

/// An elementwise linalg.generic that a GEMM's epilogue can absorb.
struct FusableGeneric {
  linalg::GenericOp generic;
  /// The per-channel operand ([N], read at the output column), or null.
  Value channel;
};

/// The only user of `result` (a GEMM's [..., N] float output) when it is a
/// parallel linalg.generic computing `f(result[..., n], channel[n])` with
/// arith / math ops alone: what --effc-quantize writes after a block-scaled
/// linear (bias + activation), or a bias and activation --effc-raise could
/// not fold. Such a generic runs in the kernel's epilogue instead of on the
/// host.
std::optional<FusableGeneric> matchFusableGeneric(Value result) {
  // One generic user; other users may only read sizes (tensor.dim of a
  // dynamic result).
  linalg::GenericOp generic;
  for (Operation *user : result.getUsers()) {
    if (auto dim = dyn_cast<tensor::DimOp>(user); dim && dim.getConstantIndex())
      continue;
    if (generic || !isa<linalg::GenericOp>(user))
      return std::nullopt;
    generic = cast<linalg::GenericOp>(user);
  }
  auto resTy = cast<RankedTensorType>(result.getType());
  int64_t rank = resTy.getRank();
  if (!generic || generic.getNumDpsInits() != 1 ||
      generic.getNumDpsInputs() > 2 ||
      generic.getDpsInputOperand(0)->get() != result ||
      llvm::count(generic->getOperands(), result) != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      generic.getNumLoops() != static_cast<unsigned>(rank))
    return std::nullopt;
  auto outTy = cast<RankedTensorType>(generic.getResult(0).getType());
  if (outTy.getShape() != resTy.getShape() ||
      !isa<FloatType>(outTy.getElementType()))
    return std::nullopt;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, result.getContext());
  if (maps.front() != id || maps.back() != id)
    return std::nullopt;
  FusableGeneric fusable{generic, Value()};
  if (generic.getNumDpsInputs() == 2) {
    Value channel = generic.getDpsInputOperand(1)->get();
    auto chTy = dyn_cast<RankedTensorType>(channel.getType());
    AffineMap last = AffineMap::get(
        rank, 0, getAffineDimExpr(rank - 1, result.getContext()));
    if (!chTy || maps[1] != last || chTy.getRank() != 1 ||
        chTy.isDynamicDim(0) || !isa<FloatType>(chTy.getElementType()))
      return std::nullopt;
    fusable.channel = channel;
  }
  // The body: arith / math on the inputs, the output element unused.
  Block &body = generic.getRegion().front();
  if (!body.getArguments().back().use_empty())
    return std::nullopt;
  for (Operation &op : body.without_terminator()) {
    StringRef ns = op.getDialect() ? op.getDialect()->getNamespace() : "";
    if ((ns != "arith" && ns != "math") || op.getNumRegions())
      return std::nullopt;
    for (Value v : op.getOperands())
      if (v.getParentBlock() != &body)
        return std::nullopt;
  }
  return fusable;
}

//===----------------------------------------------------------------------===//
// 2:4 compression
//===----------------------------------------------------------------------===//

/// A 2:4 weight in the form mma.sp reads: the two kept values of each
/// group of four along K, and per row one i16 per 16 columns whose nibble
/// `g` holds the kept positions of group `g` (first in bits 0-1): the
/// dialect's packed N:M positions (packNMPositions), which are exactly this
/// metadata for 2:4.
struct Compressed24 {
  std::vector<char> values;      // [N, K/2] x 2 bytes
  std::vector<int16_t> metadata; // [N, K/16]
};

/// Picks two ascending positions of a group from its non-zero mask; groups
/// with fewer than two non-zeros are completed with zero positions.
std::pair<int, int> keptPair(unsigned mask) {
  int first = -1, second = -1;
  for (int i = 0; i < 4; ++i)
    if (mask & (1u << i))
      (first < 0 ? first : second) = i;
  for (int i = 0; i < 4 && second < 0; ++i)
    if (i != first) {
      if (first < 0)
        first = i;
      else
        second = i;
    }
  if (first > second)
    std::swap(first, second);
  return {first, second};
}

/// Compresses a dense 16-bit [N, K] weight; nullopt when it is not 2:4.
std::optional<Compressed24> compressDense24(ArrayRef<char> raw, int64_t n,
                                            int64_t k) {
  Compressed24 c;
  c.values.assign(n * k, 0);
  std::vector<int8_t> positions(n * (k / 2));
  auto at = [&](int64_t i) {
    uint16_t v;
    std::memcpy(&v, raw.data() + 2 * i, 2);
    return v;
  };
  for (int64_t r = 0; r < n; ++r)
    for (int64_t gq = 0; gq < k / 4; ++gq) {
      unsigned mask = 0;
      for (int i = 0; i < 4; ++i)
        if (at(r * k + gq * 4 + i) & 0x7fff)
          mask |= 1u << i;
      if (llvm::popcount(mask) > 2)
        return std::nullopt;
      auto kept = keptPair(mask);
      for (int j = 0; j < 2; ++j) {
        uint16_t v = at(r * k + gq * 4 + (j ? kept.second : kept.first));
        std::memcpy(c.values.data() + 2 * (r * (k / 2) + gq * 2 + j), &v, 2);
      }
      positions[r * (k / 2) + gq * 2] = static_cast<int8_t>(kept.first);
      positions[r * (k / 2) + gq * 2 + 1] = static_cast<int8_t>(kept.second);
    }
  c.metadata = packNMPositions(positions, n, k / 2);
  return c;
}

/// Metadata from effc.sparse_linear's 2:4 positions [N, K/2] (one byte each).
std::optional<std::vector<int16_t>> metadataFromIndices(ArrayRef<char> idx,
                                                        int64_t n, int64_t k) {
  std::vector<int8_t> positions(idx.begin(), idx.end());
  for (int64_t r = 0; r < n; ++r)
    for (int64_t gq = 0; gq < k / 4; ++gq) {
      int a = idx[r * (k / 2) + gq * 2], b = idx[r * (k / 2) + gq * 2 + 1];
      if (a < 0 || b > 3 || a >= b)
        return std::nullopt;
    }
  return packNMPositions(positions, n, k / 2);
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// The op's fused activation (and clamp bounds) into the epilogue.
template <typename OpTy> void setActivation(GemmSpec &spec, OpTy op) {
  spec.activation = op.getActivation();
  if (auto lo = op.getClampMinAttr())
    spec.clampMin = lo.getValue();
  if (auto hi = op.getClampMaxAttr())
    spec.clampMax = hi.getValue();
}

/// `t` as users write it (f32, i8, !quant.uniform<...>).
std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

std::optional<MmaKind> floatMmaKind(Type t) {
  if (t.isF16())
    return MmaKind::F16;
  if (t.isBF16())
    return MmaKind::BF16;
  return std::nullopt;
}

struct LowerGpuPass : effc::impl::LowerGpuPassBase<LowerGpuPass> {
  using LowerGpuPassBase::LowerGpuPassBase;

  gpu::GPUModuleOp kernels;
  int64_t counter = 0;
  /// fp8 mma.sync needs PTX ISA 8.4; everything else assembles as the
  /// chip's oldest ISA (8.0 up to sm_90a), which older drivers can still
  /// JIT.
  bool needsPtx84 = false;

  /// The compute capability of `chip` (80 for sm_80, 90 for sm_90a), or 0
  /// for a chip effc does not target.
  int smVersion() const { return getChipInfo().first; }

  /// {compute capability, the oldest PTX ISA (x10) that names the chip}
  /// for the chips the NVPTX backend and ptxas know and whose tensor cores
  /// run these kernels (mma.sync exists on all of them); {0, 0} otherwise.
  std::pair<int, int> getChipInfo() const {
    return llvm::StringSwitch<std::pair<int, int>>(chip)
        .Case("sm_80", {80, 80})
        .Case("sm_86", {86, 80})
        .Case("sm_87", {87, 80})
        .Case("sm_89", {89, 80})
        .Case("sm_90", {90, 80})
        .Case("sm_90a", {90, 80})
        .Case("sm_100", {100, 86})
        .Case("sm_101", {101, 86})
        .Case("sm_103", {103, 88})
        .Case("sm_120", {120, 87})
        .Case("sm_121", {121, 88})
        .Default({0, 0});
  }

  /// The PTX ISA the kernels need: the chip's, and 8.4 for e4m3 mma.sync.
  int ptxVersion() const {
    return std::max(getChipInfo().second, needsPtx84 ? 84 : 0);
  }

  /// wgmma and TMA are sm_90a features: PTX that uses them runs on Hopper
  /// only, so they are used when the chip says so (as nvcc's
  /// -arch=sm_90a), and chip=sm_90 keeps portable mma.sync kernels.
  bool hasWarpgroupMma() const { return chip == "sm_90a"; }

  /// The NVVM target for `chip`, linking libdevice (the kernels' exp,
  /// erf, tanh) from the CUDA toolkit when it is found.
  NVVM::NVVMTargetAttr makeTarget(StringRef features) {
    MLIRContext *ctx = &getContext();
    SmallVector<Attribute> link;
    for (const char *var : {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"}) {
      const char *dir = std::getenv(var);
      SmallString<128> path(dir ? dir : "");
      if (!dir)
        continue;
      llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
      if (llvm::sys::fs::exists(path)) {
        link.push_back(StringAttr::get(ctx, path));
        break;
      }
    }
    StringRef fallback = "/usr/local/cuda/nvvm/libdevice/libdevice.10.bc";
    if (link.empty() && llvm::sys::fs::exists(fallback))
      link.push_back(StringAttr::get(ctx, fallback));
    return NVVM::NVVMTargetAttr::get(
        ctx, /*optLevel=*/3, "nvptx64-nvidia-cuda", chip, features,
        /*targetFlags=*/nullptr,
        link.empty() ? ArrayAttr() : ArrayAttr::get(ctx, link));
  }

  gpu::GPUModuleOp getKernelModule() {
    if (kernels)
      return kernels;
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(ctx));
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto target = makeTarget(("+ptx" + Twine(ptxVersion())).str());
    kernels = gpu::GPUModuleOp::create(b, module.getLoc(), "effc_kernels",
                                       b.getArrayAttr({target}));
    return kernels;
  }

  /// Why the last lowering attempt found no kernel (empty: no reason known).
  std::string reason;

  /// Records why `op` has no kernel and fails.
  LogicalResult noKernel(const Twine &why) {
    reason = why.str();
    return failure();
  }

  /// One remark per op that stays on the host: the effc ops without a
  /// kernel (with the reason) and the upstream compute ops --effc-raise
  /// left (linalg other than fills and copies, tosa), which run through
  /// the reference path's loops.
  void remarkHostOps(const llvm::DenseMap<Operation *, std::string> &why) {
    getOperation().walk([&](Operation *op) {
      if (op->getParentOfType<gpu::GPUModuleOp>())
        return WalkResult::skip();
      StringRef ns = op->getDialect() ? op->getDialect()->getNamespace() : "";
      bool compute =
          ns == "effc" || ns == "tosa" ||
          (ns == "linalg" &&
           !isa<linalg::FillOp, linalg::CopyOp, linalg::YieldOp>(op));
      if (!compute)
        return WalkResult::advance();
      auto it = why.find(op);
      std::string because =
          it != why.end() ? it->second
          : ns == "effc"  ? "effc-lower-gpu has no kernel for this op"
                          : "only effc ops run in GPU kernels (--effc-raise "
                            "did not raise it)";
      op->emitRemark() << "effc-lower-gpu: '" << op->getName()
                       << "' runs on the host (reference lowering): "
                       << because;
      return WalkResult::skip();
    });
  }

  std::string kernelName(StringRef base) {
    return (base + "_" + Twine(counter++)).str();
  }

  /// Builds the GEMM for `spec` and the host code around it; `operands`
  /// are the kernel's tensor operands in argument order.
  Value emitGemm(OpBuilder &b, Location loc, StringRef base,
                 const GemmSpec &spec, ArrayRef<Value> operands,
                 RankedTensorType resultType, ValueRange resultDynSizes = {}) {
    KernelLaunch k =
        hasWarpgroupMma() && checkWgmmaSpec(spec).empty()
            ? buildWgmmaGemmKernel(b, loc, getKernelModule(),
                                   kernelName((base + "_wgmma").str()), spec)
            : buildGemmKernel(b, loc, getKernelModule(), kernelName(base),
                              spec);
    return launchOnDevice(b, loc, k, operands, resultType, resultDynSizes);
  }

  /// Fuses the elementwise generic that consumes `result` (if any) into
  /// `spec`'s epilogue, appending its per-channel operand to `operands`.
  static std::optional<FusableGeneric>
  fuseEpilogue(OpBuilder &b, GemmSpec &spec, Value result,
               SmallVectorImpl<Value> &operands) {
    std::optional<FusableGeneric> fusable = matchFusableGeneric(result);
    if (!fusable)
      return std::nullopt;
    spec.fused = fusable->generic;
    // The launch goes where the generic was: its operands dominate it.
    b.setInsertionPoint(fusable->generic);
    if (fusable->channel) {
      spec.fusedChannelType =
          cast<RankedTensorType>(fusable->channel.getType()).getElementType();
      operands.push_back(fusable->channel);
    }
    return fusable;
  }

  /// Replaces `op` (and its fused generic) by the kernel's [M, N] output `y`
  /// in the op's [..., N] shape.
  static void replaceFused(OpBuilder &b, Location loc, Operation *op,
                           std::optional<FusableGeneric> fusable, Value y,
                           RankedTensorType outTy) {
    Value input = op->getOperand(0);
    if (fusable) {
      auto fusedTy =
          cast<RankedTensorType>(fusable->generic.getResult(0).getType());
      Value fused = buildExpandRows(b, loc, y, fusedTy, input);
      fusable->generic.getResult(0).replaceAllUsesWith(fused);
      fusable->generic.erase();
      // Sizes read from the op's [..., N] result (the generic's init, say)
      // are the input's leading dims.
      for (Operation *user :
           llvm::make_early_inc_range(op->getResult(0).getUsers())) {
        auto dim = cast<tensor::DimOp>(user);
        OpBuilder db(dim);
        int64_t i = *dim.getConstantIndex();
        Value size =
            i + 1 < outTy.getRank()
                ? tensor::DimOp::create(db, dim.getLoc(), input, i).getResult()
                : arith::ConstantIndexOp::create(db, dim.getLoc(),
                                                 outTy.getDimSize(i))
                      .getResult();
        dim.replaceAllUsesWith(size);
        dim.erase();
      }
    } else {
      op->getResult(0).replaceAllUsesWith(
          buildExpandRows(b, loc, y, outTy, input));
    }
    op->erase();
  }

  /// The runtime row count of a [M, K] operand when M is dynamic (the
  /// dynamic size list of its [M, N] result), else empty.
  static SmallVector<Value> rowSizes(OpBuilder &b, Location loc, Value x2D) {
    if (!cast<RankedTensorType>(x2D.getType()).isDynamicDim(0))
      return {};
    return {tensor::DimOp::create(b, loc, x2D, 0).getResult()};
  }

  //===--------------------------------------------------------------------===//
  // effc.linear
  //===--------------------------------------------------------------------===//

  /// f16/bf16 effc.linear, dense or (for a constant 2:4 weight) sparse.
  LogicalResult lowerLinear(LinearOp op) {
    auto inTy = op.getInput().getType();
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    std::optional<MmaKind> kind = floatMmaKind(inTy.getElementType());
    if (inTy.getElementType().isF32() && wTy.getElementType().isF32())
      kind = f32Math == "tf32" ? MmaKind::TF32 : MmaKind::F32;
    if (!kind || wTy.getElementType() != inTy.getElementType())
      return noKernel("no GPU kernel for " + typeName(inTy.getElementType()) +
                      " inputs with " + typeName(wTy.getElementType()) +
                      " weights (the GEMM kernels take f32, f16 and bf16 "
                      "with weights of the same type)");
    if (wTy.getRank() != 2 || !wTy.hasStaticShape())
      return noKernel("the GPU kernels need a static 2-D weight");
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    int64_t m = getRowCount(inTy);
    OpBuilder b(op);
    Location loc = op.getLoc();
    GemmSpec spec;
    spec.kind = *kind;
    spec.depth = k;
    setActivation(spec, op);
    spec.outType = outTy.getElementType();
    if (op.getBias())
      spec.biasType = op.getBias().getType().getElementType();

    Value x = buildCollapseToRows(b, loc, op.getInput());
    SmallVector<Value> operands;
    // A constant 2:4 weight runs as Y^T = W X^T on mma.sp.
    std::optional<Compressed24> sparse;
    if (k % 32 == 0 && *kind == MmaKind::F16) {
      std::vector<char> raw = constantBytes(op.getWeight());
      if (!raw.empty())
        sparse = compressDense24(raw, n, k);
    }
    RankedTensorType out2D;
    if (sparse) {
      spec.sparse = true;
      spec.rows = n;
      spec.cols = m;
      spec.transposeOut = true;
      operands.push_back(constantTensor(
          b, loc, RankedTensorType::get({n, k / 2}, wTy.getElementType()),
          sparse->values));
      operands.push_back(constantTensor<int16_t>(
          b, loc, {n, k / 16}, b.getI16Type(), sparse->metadata));
      operands.push_back(x);
    } else {
      spec.rows = m;
      spec.cols = n;
      operands.push_back(x);
      operands.push_back(op.getWeight());
    }
    if (std::string why = checkGemmSpec(spec); !why.empty())
      return noKernel(why);
    if (op.getBias())
      operands.push_back(op.getBias());
    std::optional<FusableGeneric> fusable;
    if (!spec.sparse)
      fusable = fuseEpilogue(b, spec, op.getResult(), operands);
    out2D = RankedTensorType::get({m, n}, getStoredType(spec));
    StringRef base = spec.sparse                  ? "linear_2of4"
                     : spec.kind == MmaKind::TF32 ? "linear_tf32"
                     : spec.kind == MmaKind::F32  ? "linear_f32"
                                                  : "linear";
    Value y =
        emitGemm(b, loc, base, spec, operands, out2D, rowSizes(b, loc, x));
    replaceFused(b, loc, op, fusable, y, outTy);
    return success();
  }

  /// effc.sparse_linear with 2:4 f16/bf16 values and constant indices.
  LogicalResult lowerSparseLinear(SparseLinearOp op) {
    SparseEncodingAttr enc = op.getEncoding();
    auto valTy = op.getValues().getType();
    auto inTy = op.getInput().getType();
    std::optional<MmaKind> kind = floatMmaKind(valTy.getElementType());
    ArrayRef<int64_t> wShape = op.getWeightShape();
    if (enc.getFormat() != SparseFormat::nm || enc.getN() != 2 ||
        enc.getM() != 4)
      return noKernel("no GPU kernel for the " +
                      stringifySparseFormat(enc.getFormat()).str() +
                      " layout (mma.sp takes 2:4)");
    if (!kind || inTy.getElementType() != valTy.getElementType())
      return noKernel("no 2:4 GPU kernel for " +
                      typeName(inTy.getElementType()) + " inputs with " +
                      typeName(valTy.getElementType()) +
                      " values (mma.sp takes f16)");
    if (wShape.size() != 2)
      return noKernel("the GPU kernels need a 2-D weight");
    int64_t n = wShape[0], k = wShape[1], m = getRowCount(inTy);
    std::vector<char> idx = constantBytes(op.getIndices());
    if (idx.empty())
      return noKernel("the 2:4 positions are not a constant");
    if (k % 32)
      return noKernel("2:4 sparse kernels need K to be a multiple of 32");
    // Packed 2-bit positions (the i16 form of #effc.sparse_encoding) are
    // the mma.sp metadata already; unpacked here so both forms are checked
    // (ascending, in range) the same way.
    if (op.getIndices().getType().getElementType().isInteger(16)) {
      std::vector<int16_t> words(idx.size() / 2);
      std::memcpy(words.data(), idx.data(), words.size() * 2);
      std::vector<int8_t> positions = unpackNMPositions(words, n, k / 2);
      idx.assign(positions.begin(), positions.end());
    }
    std::optional<std::vector<int16_t>> meta = metadataFromIndices(idx, n, k);
    if (!meta)
      return noKernel("the 2:4 positions are not ascending pairs in 0..3");
    OpBuilder b(op);
    Location loc = op.getLoc();
    GemmSpec spec;
    spec.kind = *kind;
    spec.sparse = true;
    spec.rows = n;
    spec.cols = m;
    spec.depth = k;
    spec.transposeOut = true;
    setActivation(spec, op);
    spec.outType = op.getType().getElementType();
    Value x = buildCollapseToRows(b, loc, op.getInput());
    SmallVector<Value> operands = {
        op.getValues(),
        constantTensor<int16_t>(b, loc, {n, k / 16}, b.getI16Type(), *meta), x};
    if (op.getBias()) {
      spec.biasType = op.getBias().getType().getElementType();
      operands.push_back(op.getBias());
    }
    Value y = emitGemm(b, loc, "sparse_linear_2of4", spec, operands,
                       RankedTensorType::get({m, n}, spec.outType),
                       rowSizes(b, loc, x));
    op.replaceAllUsesWith(
        buildExpandRows(b, loc, y, op.getType(), op.getInput()));
    op.erase();
    return success();
  }

  //===--------------------------------------------------------------------===//
  // effc.quantized_linear
  //===--------------------------------------------------------------------===//

  LogicalResult lowerQuantizedLinear(QuantizedLinearOp op) {
    auto inTy = op.getInput().getType();
    auto wTy = op.getWeight().getType();
    auto outTy = op.getType();
    auto xq = dyn_cast<quant::UniformQuantizedType>(inTy.getElementType());
    auto scast = op.getWeight().getDefiningOp<quant::StorageCastOp>();
    if (!xq)
      return noKernel("no GPU kernel for " + typeName(inTy.getElementType()) +
                      " inputs with quantized weights (the int8 kernel "
                      "takes int8-quantized activations)");
    if (xq.getStorageTypeIntegralWidth() != 8 || !xq.isSigned())
      return noKernel("the int8 kernel takes signed 8-bit activations");
    if (wTy.getRank() != 2)
      return noKernel("the GPU kernels need a 2-D weight");
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    int64_t m = getRowCount(inTy);
    std::vector<char> w =
        scast ? constantBytes(scast.getInput()) : std::vector<char>();
    if (w.empty() || !cast<RankedTensorType>(scast.getInput().getType())
                          .getElementType()
                          .isInteger(8))
      return noKernel("the int8 kernel takes a constant signed 8-bit weight");
    // Weight scales: per tensor or per output channel, symmetric.
    SmallVector<double> ws;
    Type wElt = wTy.getElementType();
    if (auto pt = dyn_cast<quant::UniformQuantizedType>(wElt)) {
      if (pt.getZeroPoint() != 0)
        return noKernel("the int8 kernel takes symmetric weights");
      ws.assign(n, pt.getScale());
    } else if (auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(wElt)) {
      if (pa.getQuantizedDimension() != 0 ||
          llvm::any_of(pa.getZeroPoints(), [](int64_t z) { return z != 0; }))
        return noKernel("the int8 kernel takes symmetric per-output-channel "
                        "weights");
      ws.assign(pa.getScales().begin(), pa.getScales().end());
    } else {
      return noKernel("the int8 kernel takes per-tensor or per-channel "
                      "weight scales");
    }
    // The input zero point folded into the bias: sum_k (x - zx) w =
    // sum_k x w - zx * sum_k w.
    SmallVector<int32_t> bias(n, 0);
    if (Value bv = op.getBias()) {
      std::vector<char> raw = constantBytes(bv);
      if (raw.empty())
        return noKernel("the int8 kernel takes a constant bias");
      std::memcpy(bias.data(), raw.data(), 4 * n);
    }
    int64_t zx = xq.getZeroPoint();
    for (int64_t r = 0; r < n; ++r) {
      int64_t sum = 0;
      for (int64_t c = 0; c < k; ++c)
        sum += static_cast<int8_t>(w[r * k + c]);
      bias[r] = static_cast<int32_t>(bias[r] - zx * sum);
    }

    OpBuilder b(op);
    Location loc = op.getLoc();
    GemmSpec spec;
    spec.kind = MmaKind::I8;
    spec.rows = m;
    spec.cols = n;
    spec.depth = k;
    setActivation(spec, op);
    Type outElt = outTy.getElementType();
    Type i32 = b.getI32Type();
    Value x = buildCollapseToRows(b, loc, op.getInput());
    SmallVector<Value> outSizes = rowSizes(b, loc, x);
    x = quant::StorageCastOp::create(
        b, loc, RankedTensorType::get({m, k}, b.getI8Type()), x);
    SmallVector<Value> operands = {
        x,
        constantTensor(b, loc, RankedTensorType::get({n, k}, b.getI8Type()), w),
        constantTensor<int32_t>(b, loc, {n}, i32, bias)};
    auto perChannel = [&](std::optional<ArrayRef<int32_t>> v) {
      SmallVector<int32_t> out;
      for (int64_t i = 0; i < n; ++i)
        out.push_back(v->size() == 1 ? (*v)[0] : (*v)[i]);
      return constantTensor<int32_t>(b, loc, {n}, i32, out);
    };
    Type storedElt = outElt;
    if (outElt.isInteger(32)) {
      spec.epilogue = GemmEpilogue::Int32;
    } else if (isa<FloatType>(outElt)) {
      spec.epilogue = GemmEpilogue::Dequant;
      SmallVector<float> scale;
      for (double s : ws)
        scale.push_back(static_cast<float>(s) *
                        static_cast<float>(xq.getScale()));
      operands.push_back(
          constantTensor<float>(b, loc, {n}, b.getF32Type(), scale));
    } else if (auto yq = dyn_cast<quant::UniformQuantizedType>(outElt)) {
      auto perChannelSize = [&](std::optional<ArrayRef<int32_t>> v) {
        return v && (v->size() == 1 || static_cast<int64_t>(v->size()) == n);
      };
      if (!perChannelSize(op.getMultiplier()) ||
          !perChannelSize(op.getShift()) ||
          yq.getStorageTypeIntegralWidth() != 8 || !yq.isSigned())
        return noKernel("the requantizing int8 kernel takes signed 8-bit "
                        "outputs with per-tensor or per-channel multipliers");
      spec.epilogue = GemmEpilogue::Requant;
      // The activation in the integer domain, as the reference lowering.
      spec.range =
          getRequantRange(yq, spec.activation, spec.clampMin, spec.clampMax);
      storedElt = yq.getStorageType();
      operands.push_back(perChannel(op.getMultiplier()));
      operands.push_back(perChannel(op.getShift()));
    } else {
      return noKernel("no int8 GPU kernel for " + typeName(outElt) +
                      " outputs");
    }
    spec.outType = storedElt;
    if (std::string why = checkGemmSpec(spec); !why.empty())
      return noKernel(why);
    Value y = emitGemm(b, loc, "quantized_linear", spec, operands,
                       RankedTensorType::get({m, n}, storedElt), outSizes);
    if (storedElt != outElt)
      y = quant::StorageCastOp::create(
          b, loc, RankedTensorType::get({m, n}, outElt), y);
    op.replaceAllUsesWith(buildExpandRows(b, loc, y, outTy, op.getInput()));
    op.erase();
    return success();
  }

  //===--------------------------------------------------------------------===//
  // effc.block_scaled_linear (fp8)
  //===--------------------------------------------------------------------===//

  LogicalResult lowerBlockScaledLinear(BlockScaledLinearOp op) {
    auto inTy = cast<RankedTensorType>(op.getInput().getType());
    auto wTy = cast<RankedTensorType>(op.getWeight().getType());
    auto outTy = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> block = op.getBlock();
    Type inElt = inTy.getElementType();
    bool fp8 = isa<Float8E4M3FNType>(inElt);
    if (inElt != wTy.getElementType() || (!fp8 && !inElt.isInteger(8)))
      return noKernel("no block-scaled GPU kernel for " + typeName(inElt) +
                      " x " + typeName(wTy.getElementType()) +
                      " (the kernels take i8 x i8 and f8E4M3FN x f8E4M3FN)");
    if (fp8 && smVersion() < 89)
      return noKernel("fp8 mma.sync needs sm_89 or later (chip is " + chip +
                      ")");
    if (wTy.getRank() != 2 || block.size() != 2)
      return noKernel("the GPU kernels need a 2-D weight");
    int64_t n = wTy.getDimSize(0), k = wTy.getDimSize(1);
    int64_t m = getRowCount(inTy);
    GemmSpec spec;
    spec.kind = fp8 ? MmaKind::F8E4M3 : MmaKind::I8;
    spec.rows = m;
    spec.cols = n;
    spec.depth = k;
    spec.blockScaled = true;
    spec.scaleBlockC = block[0];
    spec.scaleBlockK = block[1];
    spec.outType = outTy.getElementType();
    if (std::string why = checkGemmSpec(spec); !why.empty())
      return noKernel(why);
    if (!isa<FloatType>(spec.outType))
      return noKernel("the block-scaled kernels write float outputs");
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value x = buildCollapseToRows(b, loc, op.getInput());
    SmallVector<Value> operands = {
        x, op.getWeight(), buildCollapseToRows(b, loc, op.getInputScale()),
        op.getWeightScale()};
    std::optional<FusableGeneric> fusable =
        fuseEpilogue(b, spec, op.getResult(), operands);
    needsPtx84 |= fp8;
    Value y = emitGemm(
        b, loc, fp8 ? "block_scaled_linear_fp8" : "block_scaled_linear_i8",
        spec, operands, RankedTensorType::get({m, n}, getStoredType(spec)),
        rowSizes(b, loc, x));
    replaceFused(b, loc, op, fusable, y, outTy);
    return success();
  }

  //===--------------------------------------------------------------------===//
  // effc.dynamic_quantize (int8 per-token scales)
  //===--------------------------------------------------------------------===//

  LogicalResult lowerDynamicQuantize(DynamicQuantizeOp op) {
    auto inTy = op.getInput().getType();
    auto outTy = op.getOutput().getType();
    auto scaleTy = op.getScale().getType();
    ArrayRef<int64_t> block = op.getBlock();
    int64_t r = inTy.getRank();
    if (r == 0 ||
        llvm::any_of(block.drop_back(), [](int64_t v) { return v != 1; }))
      return noKernel("the quantization kernel takes blocks of one row "
                      "(1 x ... x 1 x bk)");
    if (!scaleTy.getElementType().isF32())
      return noKernel("the quantization kernel writes f32 scales");
    QuantizeSpec spec;
    spec.inputType = inTy.getElementType();
    spec.storage = outTy.getElementType();
    spec.rows = getRowCount(inTy);
    spec.depth = inTy.getDimSize(r - 1);
    spec.blockK = block.back();
    if (std::string why = checkDynamicQuantizeSpec(spec); !why.empty())
      return noKernel(why);
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value x = buildCollapseToRows(b, loc, op.getInput());
    SmallVector<Value> sizes = rowSizes(b, loc, x);
    int64_t kb = scaleTy.getDimSize(r - 1);
    KernelLaunch k = buildDynamicQuantizeKernel(
        b, loc, getKernelModule(),
        kernelName(isa<IntegerType>(spec.storage) ? "dynamic_quantize_i8"
                                                  : "dynamic_quantize_fp8"),
        spec);
    SmallVector<Value> outs = launchOnDevice(
        b, loc, k, {x},
        {KernelResult{
             RankedTensorType::get({spec.rows, spec.depth}, spec.storage),
             sizes},
         KernelResult{RankedTensorType::get({spec.rows, kb}, b.getF32Type()),
                      sizes}});
    op.getOutput().replaceAllUsesWith(
        buildExpandRows(b, loc, outs[0], outTy, op.getInput()));
    op.getScale().replaceAllUsesWith(
        buildExpandRows(b, loc, outs[1], scaleTy, op.getInput()));
    op.erase();
    return success();
  }

  //===--------------------------------------------------------------------===//
  // effc.attention
  //===--------------------------------------------------------------------===//

  LogicalResult lowerAttention(AttentionOp op) {
    auto qTy = cast<RankedTensorType>(op.getQuery().getType());
    auto kTy = cast<RankedTensorType>(op.getKey().getType());
    auto vTy = cast<RankedTensorType>(op.getValue().getType());
    Value mask = op.getMaskValues();
    if (!floatMmaKind(qTy.getElementType()) ||
        kTy.getElementType() != qTy.getElementType() ||
        vTy.getElementType() != qTy.getElementType())
      return noKernel("no attention kernel for " +
                      typeName(qTy.getElementType()) +
                      " (the flash-attention kernel takes f16 and bf16 "
                      "query, key and value)");
    if (op.getBlockLayout())
      return noKernel("no GPU kernel for block-sparse attention");
    if (op.getMask() == MaskKind::window)
      return noKernel("no GPU kernel for window attention");
    int64_t r = qTy.getRank();
    // Runtime batch and lengths are fine; heads and head dims are static.
    auto staticDim = [&](RankedTensorType t, int64_t fromEnd) {
      return r < fromEnd || !t.isDynamicDim(r - fromEnd);
    };
    if (r > 4 || !staticDim(qTy, 1) || !staticDim(kTy, 1) ||
        !staticDim(vTy, 1) || !staticDim(qTy, 3) || !staticDim(kTy, 3) ||
        (mask && !cast<RankedTensorType>(mask.getType()).hasStaticShape()))
      return noKernel("the GPU attention kernel takes static heads and head "
                      "dims, and static explicit masks");
    AttentionSpec spec;
    spec.elementType = qTy.getElementType();
    spec.queries = qTy.getDimSize(r - 2);
    spec.headDim = qTy.getDimSize(r - 1);
    spec.keys = kTy.getDimSize(r - 2);
    spec.valueDim = vTy.getDimSize(r - 1);
    spec.heads = r >= 3 ? qTy.getDimSize(r - 3) : 1;
    spec.kvHeads = r >= 3 ? kTy.getDimSize(r - 3) : 1;
    spec.batch = r == 4 ? qTy.getDimSize(0) : 1;
    spec.scale = op.getScaleOrDefault();
    spec.causal = op.getMask() == MaskKind::causal;
    if (mask) {
      // As [Mb, Mh, Msq, Skv], size-1 dims broadcast (a rank-2 mask is
      // [1, 1, Msq, Skv]).
      ArrayRef<int64_t> ms = cast<RankedTensorType>(mask.getType()).getShape();
      SmallVector<int64_t> m4(4 - ms.size(), 1);
      llvm::append_range(m4, ms);
      spec.mask = true;
      spec.maskBatch = m4[0];
      spec.maskHeads = m4[1];
      spec.maskRows = m4[2];
    }
    if (std::string why = checkAttentionSpec(spec); !why.empty())
      return noKernel(why);
    OpBuilder b(op);
    Location loc = op.getLoc();
    // [B, H, S, D] -> [B * H, S, D] (a collapse, so runtime dims pass).
    auto as3D = [&](Value v) -> Value {
      auto t = cast<RankedTensorType>(v.getType());
      if (r == 3)
        return v;
      if (r == 4)
        return tensor::CollapseShapeOp::create(
            b, loc, v, SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
      return tensor::ExpandShapeOp::create(
          b, loc,
          RankedTensorType::get({1, t.getDimSize(0), t.getDimSize(1)},
                                t.getElementType()),
          v, SmallVector<ReassociationIndices>{{0, 1}, {2}});
    };
    KernelLaunch k = buildAttentionKernel(b, loc, getKernelModule(),
                                          kernelName("attention"), spec);
    Value q3 = as3D(op.getQuery());
    SmallVector<Value> operands = {q3, as3D(op.getKey()), as3D(op.getValue())};
    if (mask)
      operands.push_back(
          buildReshape(b, loc, mask,
                       RankedTensorType::get({spec.maskBatch * spec.maskHeads,
                                              spec.maskRows, spec.keys},
                                             spec.elementType)));
    auto q3Ty = cast<RankedTensorType>(q3.getType());
    SmallVector<Value> outSizes;
    for (int64_t d = 0; d < 2; ++d)
      if (q3Ty.isDynamicDim(d))
        outSizes.push_back(tensor::DimOp::create(b, loc, q3, d));
    Value o = launchOnDevice(
        b, loc, k, operands,
        RankedTensorType::get(
            {q3Ty.getDimSize(0), q3Ty.getDimSize(1), spec.valueDim},
            spec.elementType),
        outSizes);
    auto outTy = op.getType();
    Value result = o;
    if (r == 4) {
      SmallVector<OpFoldResult> shape = {
          tensor::getMixedSize(b, loc, op.getQuery(), 0),
          b.getIndexAttr(spec.heads),
          tensor::getMixedSize(b, loc, op.getQuery(), 2),
          b.getIndexAttr(spec.valueDim)};
      result = tensor::ExpandShapeOp::create(
          b, loc, outTy, o, SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}},
          shape);
    } else if (r == 2) {
      result = tensor::CollapseShapeOp::create(
          b, loc, outTy, o, SmallVector<ReassociationIndices>{{0, 1}, {2}});
    }
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }

  void runOnOperation() override {
    int sm = smVersion();
    if (sm < 80) {
      getOperation().emitError()
          << "effc-lower-gpu: unsupported chip '" << chip
          << "' (expected one of sm_80, sm_86, sm_87, sm_89, sm_90, sm_90a, "
             "sm_100, sm_101, sm_103, sm_120, sm_121)";
      return signalPassFailure();
    }
    if (f32Math != "ffma" && f32Math != "tf32") {
      getOperation().emitError() << "effc-lower-gpu: unknown f32-math '"
                                 << f32Math << "' (expected ffma or tf32)";
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<LinearOp, SparseLinearOp, QuantizedLinearOp, BlockScaledLinearOp,
              DynamicQuantizeOp, AttentionOp>(op))
        ops.push_back(op);
    });
    // Why each op without a kernel has none, for its remark.
    llvm::DenseMap<Operation *, std::string> hostReasons;
    for (Operation *op : ops) {
      // Ops without a kernel stay for the host (reference) lowering.
      reason.clear();
      LogicalResult lowered =
          llvm::TypeSwitch<Operation *, LogicalResult>(op)
              .Case([&](LinearOp o) { return lowerLinear(o); })
              .Case([&](SparseLinearOp o) { return lowerSparseLinear(o); })
              .Case(
                  [&](QuantizedLinearOp o) { return lowerQuantizedLinear(o); })
              .Case([&](BlockScaledLinearOp o) {
                return lowerBlockScaledLinear(o);
              })
              .Case(
                  [&](DynamicQuantizeOp o) { return lowerDynamicQuantize(o); })
              .Case([&](AttentionOp o) { return lowerAttention(o); })
              .Default([](Operation *) { return failure(); });
      if (failed(lowered))
        hostReasons[op] = reason.empty() ? "no kernel for its operand types "
                                           "and shapes"
                                         : reason;
    }
    if (remarks)
      remarkHostOps(hostReasons);
    if (kernels)
      kernels.setTargetsAttr(ArrayAttr::get(
          &getContext(), {makeTarget(("+ptx" + Twine(ptxVersion())).str())}));
  }
};

} // namespace
