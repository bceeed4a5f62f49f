//===- RaiseImpl.h - shared pieces of the raise pass ------------*- C++ -*-===//
//
// Private to lib/Transforms: the operand helpers and pattern sets that
// Raise.cpp (matmuls, convolutions, bias/activation folding),
// RaiseLayout.cpp (NCHW convolutions and layout propagation) and
// RaiseFold.cpp (constant folding, per-channel affine folding) share.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_LIB_TRANSFORMS_RAISEIMPL_H
#define EFFC_LIB_TRANSFORMS_RAISEIMPL_H

#include "effc/Dialect/EffcAttrs.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Value.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>
#include <tuple>

namespace mlir {
class Block;
namespace effc {
namespace raise {

/// Weights effc raises: constants, function arguments and QDQ constants.
bool isWeightSource(Value v);

/// `v` with its dims permuted (`result dim i = v dim perm[i]`): folded for
/// constants (QDQ constants keep their scales), else a linalg.transpose.
Value permute(PatternRewriter &rewriter, Location loc, Value v,
              ArrayRef<int64_t> perm);

/// True when `init` is all zeros (a fill with 0 or a zero constant).
bool isZeroInit(Value init);

/// A float tensor (dynamic dims allowed).
bool isFloatTensor(Value v);
/// A float tensor with a static shape (what the layout rewrites and the
/// convolution raises take).
bool isStaticFloatTensor(Value v);

/// True when any op under `root` has a tensor operand or result with a
/// dynamic dim.
bool hasDynamicTensors(Operation *root);

/// What runs before the raise patterns on a model with dynamic dims
/// (RaiseDynamic.cpp): integer range optimization, canonicalization, CSE.
void buildDynamicShapeCleanup(OpPassManager &pm);

/// True when dim `i` of tensor `a` and dim `j` of tensor `b` are provably
/// the same size: equal static sizes, or the same runtime size traced
/// through the ops that define them (RaiseDynamic.cpp).
bool sameDim(Value a, int64_t i, Value b, int64_t j);

/// torch-mlir's dynamic-shape guards back to structured ops
/// (RaiseDynamic.cpp).
void populateRaiseDynamicPatterns(RewritePatternSet &patterns);

/// Absorbs a zero `tensor.pad` of the dims `hDim` and `hDim + 1` (H and W)
/// into `padding` = [top, bottom, left, right]; other dims must be
/// unpadded. Returns the unpadded input, or `input` with zero padding.
Value absorbPad(Value input, SmallVector<int64_t> &padding, unsigned hDim);

/// Creates an effc.conv2d replacing `op`'s result type with `resultType`.
Value createConv(PatternRewriter &rewriter, Location loc, Type resultType,
                 Value input, Value weight, Value bias,
                 ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                 ArrayRef<int64_t> padding, int64_t groups);

/// Evaluates the scalar body of an elementwise generic on doubles: `env`
/// binds block arguments (and any other values) to numbers. Returns the
/// yielded value, or nullopt for ops outside the small arith/math subset.
/// Integer and index values (and i1 as 0 / 1) are exact up to 2^53;
/// `linalg.index d` reads `loopIndex[d]`.
std::optional<double> evalBody(Block &body, llvm::DenseMap<Value, double> &env,
                               ArrayRef<int64_t> loopIndex = {});

/// Element `idx` of `v`, a tensor computed at run time from indices and
/// constants only (torch-mlir's causal mask for dynamic lengths: iotas, a
/// subtraction, a comparison, a select between 0 and -inf), by evaluating
/// its elementwise producers (generics, unit-dim reshapes, fills,
/// constants); nullopt for anything else.
std::optional<double> evalTensorAt(Value v, ArrayRef<int64_t> idx,
                                   unsigned depth = 0);

/// Recognizes the activation `f` computes (sampled, so it does not matter
/// how a frontend spelled it): (kind, clamp lo, clamp hi).
std::optional<std::tuple<Activation, double, double>>
recognizeActivation(function_ref<std::optional<double>(double)> f);

/// The activation as a scalar function on doubles.
double applyActivation(Activation act, double lo, double hi, double x);

/// NCHW / grouped / depthwise linalg convolutions and layout propagation
/// (transposes sunk through elementwise ops, folded into reductions and
/// cancelled).
void populateRaiseLayoutPatterns(RewritePatternSet &patterns);

/// Constant folding of elementwise generics and reshapes on constants, and
/// per-output-channel affine ops (batch norm) folded into effc ops.
void populateRaiseFoldPatterns(RewritePatternSet &patterns);

} // namespace raise
} // namespace effc
} // namespace mlir

#endif // EFFC_LIB_TRANSFORMS_RAISEIMPL_H
