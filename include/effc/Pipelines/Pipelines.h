//===- Pipelines.h - effc pass pipelines ------------------------*- C++ -*-===//

#ifndef EFFC_PIPELINES_PIPELINES_H
#define EFFC_PIPELINES_PIPELINES_H

#include "effc/Transforms/PassOptions.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"

#include <functional>
#include <string>

namespace mlir {
namespace effc {

/// Registers a pipeline as PassPipelineRegistration<Options> does, except
/// that options which do not parse fail through the caller's error handler:
/// upstream's registration fails silently after LLVM's option parser has
/// printed why, so `--effc-compress="method=foo"` would print no `error:`.
template <typename Options>
void registerPipelineWithOptions(
    StringRef arg, StringRef description,
    std::function<void(OpPassManager &, const Options &)> builder) {
  registerPassPipeline(
      arg, description,
      [name = arg.str(),
       builder](OpPassManager &pm, StringRef text,
                function_ref<LogicalResult(const Twine &)> errorHandler) {
        Options options;
        if (failed(options.parseFromString(text)))
          return errorHandler(Twine("invalid options of ") + name + ": '" +
                              text + "'");
        builder(pm, options);
        return success();
      },
      [](function_ref<void(const ::mlir::detail::PassOptions &)> optHandler) {
        optHandler(Options());
      });
}

/// Options of `--effc-cpu-pipeline`.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  PassOptions::Option<std::string> cpu{
      *this, "cpu", llvm::cl::desc("CPU to tune for (as -mcpu); 'host'"),
      llvm::cl::init("host")};
  PassOptions::Option<std::string> targetFeatures{
      *this, "target-features",
      llvm::cl::desc("LLVM target features; empty: from the CPU"),
      llvm::cl::init("")};
  PassOptions::Option<bool> reference{
      *this, "reference",
      llvm::cl::desc("Use the plain reference lowering (no tiling, no "
                     "vectorization, no threads)"),
      llvm::cl::init(false)};
};

/// effc + upstream ops on tensors -> `llvm` dialect, optimized for the CPU.
/// Public functions get `llvm.emit_c_interface` so a JIT or a C caller can
/// call them as `_mlir_ciface_<name>(memref descriptors...)`.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// The reference path: `--effc-lower-reference`, then a plain bufferize and
/// lower to the `llvm` dialect. Its numbers define correctness.
void buildReferencePipeline(OpPassManager &pm);

/// The kernel image `--effc-gpu-pipeline` embeds (`format=`).
enum class GpuBinaryFormat { isa, bin };

/// Options of `--effc-gpu-pipeline`.
struct GpuPipelineOptions : public PassPipelineOptions<GpuPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("Target GPU: sm_80 ... sm_121 (portable mma.sync "
                     "kernels) or sm_90a (Hopper only: wgmma fed by TMA)"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<GpuBinaryFormat> format{
      *this, "format",
      llvm::cl::desc("Kernel image embedded in the host module: isa (PTX, "
                     "JIT-compiled by the driver) or bin (cubin, needs "
                     "ptxas)"),
      llvm::cl::init(GpuBinaryFormat::isa),
      llvm::cl::values(
          clEnumValN(GpuBinaryFormat::isa, "isa", "PTX"),
          clEnumValN(GpuBinaryFormat::bin, "bin", "cubin (from ptxas)"))};
  PassOptions::Option<std::string> f32Math{
      *this, "f32-math",
      llvm::cl::desc("f32 GEMMs: ffma (exact f32) or tf32 (tensor cores, "
                     "operands rounded to tf32)"),
      llvm::cl::init("ffma")};
  PassOptions::Option<bool> remarks{
      *this, "remarks",
      llvm::cl::desc("Remark on every op that gets no GPU kernel and runs on "
                     "the host through the reference lowering"),
      llvm::cl::init(true)};
};

/// effc + upstream ops on tensors -> `--effc-lower-gpu` kernels (compiled
/// to PTX or cubin in `gpu.binary`) and host code in the `llvm` dialect
/// that calls the `mgpu*` CUDA runtime functions (lib/Runtime/CudaRuntime).
void buildGpuPipeline(OpPassManager &pm, const GpuPipelineOptions &options);

/// `gpu.module` contents (kernels from `--effc-lower-gpu`) to the `llvm` /
/// `nvvm` dialects, ready for `gpu-module-to-binary`.
void addGpuDeviceLowering(OpPassManager &pm);

/// Registers `--effc-gpu-pipeline`.
void registerGpuPipeline();

/// Options of `--effc-hls-pipeline`.
struct HlsPipelineOptions : public PassPipelineOptions<HlsPipelineOptions> {
  PassOptions::Option<int64_t> dspBudget{
      *this, "dsp-budget", llvm::cl::desc("DSP48 slices available"),
      llvm::cl::init(220)};
  PassOptions::Option<int64_t> bramBudget{
      *this, "bram-budget", llvm::cl::desc("BRAM18 blocks available"),
      llvm::cl::init(280)};
  PassOptions::Option<int64_t> targetIi{
      *this, "target-ii",
      llvm::cl::desc("Initiation interval of every pipelined loop"),
      llvm::cl::init(1)};
  PassOptions::Option<int64_t> fixedWidth{
      *this, "fixed-width",
      llvm::cl::desc("W of ap_fixed<W, I> for float models"),
      llvm::cl::init(16)};
  PassOptions::Option<int64_t> fixedInt{
      *this, "fixed-int",
      llvm::cl::desc("I of ap_fixed<W, I> for float models"),
      llvm::cl::init(6)};
  PassOptions::Option<int64_t> axiBytes{
      *this, "axi-bytes",
      llvm::cl::desc("Weights above this many bytes become AXI ports"),
      llvm::cl::init(262144)};
  PassOptions::Option<std::string> topName{
      *this, "top-name",
      llvm::cl::desc("C++ name of the top function (empty: the MLIR name, "
                     "`_top` appended where C++ reserves it)"),
      llvm::cl::init("")};
  PassOptions::ListOption<int64_t> maxDims{
      *this, "max-dims",
      llvm::cl::desc("Upper bound of each dynamic dimension of the "
                     "arguments, in order (see --effc-lower-hls)")};
};

/// effc ops on tensors -> `--effc-lower-hls` affine loops with directives
/// chosen by `--effc-hls-optimize` under the budgets, ready for
/// `effc-translate --emit-hls-cpp`.
void buildHlsPipeline(OpPassManager &pm, const HlsPipelineOptions &options);

/// Registers `--effc-hls-pipeline`.
void registerHlsPipeline();

/// Registers `--effc-cpu-pipeline` (and the later target pipelines).
/// Options of `--effc-compress`: the pruning and the precision options
/// of --effc-prune and --effc-assign-precision.
struct CompressPipelineOptions
    : public PassPipelineOptions<CompressPipelineOptions> {
  PassOptions::Option<PruneMethodOption> method{
      *this, "method",
      llvm::cl::desc("Pruning: none | magnitude | nm | block | channel | "
                     "head"),
      llvm::cl::init(PruneMethodOption::none),
      llvm::cl::values(
          clEnumValN(PruneMethodOption::none, "none", "no pruning"),
          clEnumValN(PruneMethodOption::magnitude, "magnitude",
                     "the smallest |w| of each weight"),
          clEnumValN(PruneMethodOption::nm, "nm", "N of every M along K kept"),
          clEnumValN(PruneMethodOption::block, "block",
                     "the weakest RxC blocks"),
          clEnumValN(PruneMethodOption::channel, "channel",
                     "whole output channels removed"),
          clEnumValN(PruneMethodOption::head, "head",
                     "whole attention heads removed"))};
  PassOptions::Option<double> sparsity{*this, "sparsity",
                                       llvm::cl::desc("Pruned fraction"),
                                       llvm::cl::init(0.5)};
  PassOptions::Option<int64_t> n{*this, "n", llvm::cl::desc("N of N:M"),
                                 llvm::cl::init(2)};
  PassOptions::Option<int64_t> m{*this, "m", llvm::cl::desc("M of N:M"),
                                 llvm::cl::init(4)};
  PassOptions::Option<std::string> block{
      *this, "block", llvm::cl::desc("Block RxC"), llvm::cl::init("4x4")};
  PassOptions::Option<PruneCompress> compress{
      *this, "compress",
      llvm::cl::desc("Compressed storage of pruned weights: auto (cost "
                     "model) | always | never; with weights=i8 the int8 "
                     "weights are sparsified after quantization"),
      llvm::cl::init(PruneCompress::automatic), pruneCompressValues()};
  PassOptions::Option<PrecisionOption> weights{
      *this, "weights",
      llvm::cl::desc("f32 (no quantization) | bf16 | f16 | f8e4m3 | i8 | i4 "
                     "| auto"),
      llvm::cl::init(PrecisionOption::f32), precisionOptionValues()};
  PassOptions::Option<PrecisionOption> activations{
      *this, "activations",
      llvm::cl::desc("f32 | bf16 | f16 | f8e4m3 | i8 | auto"),
      llvm::cl::init(PrecisionOption::f32), precisionOptionValues()};
  PassOptions::Option<Granularity> granularity{
      *this, "granularity", llvm::cl::desc("tensor | channel | group | block"),
      llvm::cl::init(Granularity::channel), granularityValues()};
  PassOptions::Option<int64_t> groupSize{*this, "group-size",
                                         llvm::cl::desc("Group size along K"),
                                         llvm::cl::init(128)};
  PassOptions::Option<double> budgetBits{
      *this, "budget-bits", llvm::cl::desc("Average bits for weights=auto"),
      llvm::cl::init(0)};
  PassOptions::Option<std::string> calibration{
      *this, "calibration",
      llvm::cl::desc("Statistics from effc-run --calibrate"),
      llvm::cl::init("")};
  PassOptions::Option<RangeMethod> calibrationMethod{
      *this, "calibration-method",
      llvm::cl::desc("minmax | percentile | mse | entropy"),
      llvm::cl::init(RangeMethod::percentile), rangeMethodValues()};
};

/// --effc-prune (unless method=none; pruned weights stay dense when they
/// are quantized next), then --effc-assign-precision and --effc-quantize
/// (unless weights=f32).
void buildCompressPipeline(OpPassManager &pm,
                           const CompressPipelineOptions &options);

void registerPipelines();

} // namespace effc
} // namespace mlir

#endif // EFFC_PIPELINES_PIPELINES_H
