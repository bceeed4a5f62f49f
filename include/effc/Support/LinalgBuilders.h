//===- LinalgBuilders.h - helpers to build linalg on tensors ----*- C++ -*-===//
//
// Small builders shared by the effc lowerings: empty/filled tensors,
// elementwise generics, the fused activations, reshapes.
//
//===----------------------------------------------------------------------===//

#ifndef EFFC_SUPPORT_LINALGBUILDERS_H
#define EFFC_SUPPORT_LINALGBUILDERS_H

#include "effc/Dialect/EffcAttrs.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"

#include <optional>

namespace mlir {
namespace effc {
class Conv2DOp;
class LinearOp;

/// `tensor.empty` of a static type.
Value buildEmpty(OpBuilder &b, Location loc, RankedTensorType type);
/// `tensor.empty` with `like`'s shape, dynamic dims included (read with
/// tensor.dim), and element type `elt` (`like`'s when null).
Value buildEmptyLike(OpBuilder &b, Location loc, Value like, Type elt = Type());

/// A tensor of `type` filled with `value` (a float or integer constant).
Value buildFilled(OpBuilder &b, Location loc, RankedTensorType type,
                  double value);
/// The sizes of `type`'s dynamic dims (in order), each read with
/// `tensor.dim` from the same dim of `like` (a tensor whose leading dims
/// match, e.g. an op's input for its result).
SmallVector<Value> buildDynamicDims(OpBuilder &b, Location loc,
                                    RankedTensorType type, Value like);
/// `tensor.empty` of `type` whose `?` dims take `dynSizes`, in order.
Value buildEmpty(OpBuilder &b, Location loc, RankedTensorType type,
                 ValueRange dynSizes);
/// A tensor of `type` (its `?` dims sized by `dynSizes`) filled with `value`.
Value buildFilled(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange dynSizes, double value);

/// A linalg.generic over `ins` writing `init` (a fresh tensor.empty of
/// `outTy` when null) whose body yields `body(args)`; `args` are the block
/// arguments (inputs, then the output element for reductions).
Value buildGeneric(OpBuilder &b, Location loc, RankedTensorType outTy,
                   ValueRange ins, Value init, ArrayRef<AffineMap> maps,
                   ArrayRef<utils::IteratorType> iters,
                   function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// Applies `act` to a scalar float value (clamp uses `lo`/`hi`).
Value buildActivation(OpBuilder &b, Location loc, Value v, Activation act,
                      std::optional<APFloat> lo, std::optional<APFloat> hi);

/// `act(acc + bias[c])` elementwise over `acc`, where `c` is dim
/// `channelDim` of acc, computed in acc's element type (a narrower bias is
/// extended) and converted to `outElt` when given (f32 accumulators of an
/// f16 / bf16 op). `bias` may be null; returns `acc` unchanged when there
/// is neither a bias, an activation nor a conversion.
Value buildBiasActivation(OpBuilder &b, Location loc, Value acc, Value bias,
                          int64_t channelDim, Activation act,
                          std::optional<APFloat> lo, std::optional<APFloat> hi,
                          Type outElt = Type());

/// Reshapes `v` to `type` (same element count) through collapse_shape to
/// 1-D followed by expand_shape, or a direct collapse/expand when the
/// reshape is one.
Value buildReshape(OpBuilder &b, Location loc, Value v, RankedTensorType type);

/// The rows a linear layer sees in an [..., K] input: the product of the
/// leading dims, or ShapedType::kDynamic when one is a runtime size.
int64_t getRowCount(RankedTensorType inputType);
/// An [..., K] tensor as [M, K] rows (a collapse_shape, which also takes
/// dynamic leading dims; a 1-D input becomes one row).
Value buildCollapseToRows(OpBuilder &b, Location loc, Value t);
/// An [M, N] result back in a linear op's [..., N] type `outTy`; the
/// dynamic leading dims are those of `input` (the op's [..., K] input).
Value buildExpandRows(OpBuilder &b, Location loc, Value y,
                      RankedTensorType outTy, Value input);
/// Pads an NHWC tensor's H and W with the scalar `value` by `padding` =
/// [top, bottom, left, right]; returns `input` when nothing is padded.
Value buildPadNHWC(OpBuilder &b, Location loc, Value input,
                   ArrayRef<int64_t> padding, Value value);

/// Pads `input` with zeros (+0 of its element type: integer, float or fp8)
/// at the high end of each dim up to `shape` (a kDynamic entry: a dynamic
/// dim, not padded); returns `input` when it already has that shape. Used
/// to round a dim up to whole blocks.
Value buildZeroPadHigh(OpBuilder &b, Location loc, Value input,
                       ArrayRef<int64_t> shape);

/// The im2col patches of a padded NHWC `input` for a KH x KW window with
/// `strides` / `dilations` producing an N x OH x OW output, as
/// [N*OH*OW, KH*KW*C] (the layout of an OHWI weight read as [F, KH*KW*C]).
Value buildIm2Col(OpBuilder &b, Location loc, Value input,
                  ArrayRef<int64_t> outNHW, int64_t kh, int64_t kw,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations);

/// A dense (groups = 1) effc.conv2d as im2col + effc.linear reading
/// `weight` [F, KH*KW*C] (the OHWI weight read flat): a 1x1 unit-stride
/// unpadded convolution reads its input collapsed to [N*H*W, C], others
/// the patches of `buildIm2Col` of the padded input. The linear carries the
/// conv's bias and activation; returns its result expanded back to the
/// conv's NHWC type, and the linear in `linear` when given. Static shapes.
Value buildConvAsLinear(OpBuilder &b, Conv2DOp op, Value weight,
                        LinearOp *linear = nullptr);

/// A constant with its dims permuted (`result dim i = input dim perm[i]`),
/// moving raw bytes, never APFloat: how weights change layout at compile
/// time.
DenseElementsAttr permuteConstant(DenseElementsAttr attr,
                                  ArrayRef<int64_t> perm);

/// `v` reshaped to `rank` dims by prepending unit dims (e.g. an attention
/// operand [S, D] or [H, S, D] as [1, 1, S, D] / [1, H, S, D]).
Value buildLeadingUnitDims(OpBuilder &b, Location loc, int64_t rank, Value v);

/// Transposes a 2-D or batched (3-D) tensor's last two dims.
Value buildTransposeLast2(OpBuilder &b, Location loc, Value v);

} // namespace effc
} // namespace mlir

#endif // EFFC_SUPPORT_LINALGBUILDERS_H
