//===- Specialize.cpp - static versions of dynamic functions ----*- C++ -*-===//
//
// --effc-specialize: per listed (batch, sequence) size, a private copy of a
// dynamic function with static argument types whose body upstream
// canonicalization makes static, and a dispatcher in the original's place
// (TensorRT's optimization profiles; see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "effc/Support/LinalgBuilders.h"
#include "effc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

namespace mlir {
namespace effc {
#define GEN_PASS_DEF_SPECIALIZEPASS
#include "effc/Transforms/Passes.h.inc"
} // namespace effc
} // namespace mlir

using namespace mlir;
using namespace mlir::effc;

namespace {

/// One version: the size of dim 0 and of dim 1 (nullopt: left dynamic).
struct Version {
  std::optional<int64_t> batch, seq;

  std::string suffix() const {
    std::string s;
    if (batch)
      s += "_b" + std::to_string(*batch);
    if (seq)
      s += "_s" + std::to_string(*seq);
    return s;
  }

  /// `type` with its dynamic dims 0 / 1 set to this version's sizes.
  Type apply(Type type) const {
    auto t = dyn_cast<RankedTensorType>(type);
    if (!t)
      return type;
    SmallVector<int64_t> shape(t.getShape());
    if (batch && !shape.empty() && ShapedType::isDynamic(shape[0]))
      shape[0] = *batch;
    if (seq && shape.size() >= 2 && ShapedType::isDynamic(shape[1]))
      shape[1] = *seq;
    return t.clone(shape);
  }
};

/// tensor.reshape by a constant shape (torch-mlir's view once its sizes
/// fold) gets that static result type, and a static reshape becomes
/// collapse / expand; upstream has no such fold.
struct StaticReshape : OpRewritePattern<tensor::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto resTy = op.getResultType();
    Value source = op.getSource();
    auto castOp = source.getDefiningOp<tensor::CastOp>();
    bool foldCast = castOp && tensor::canFoldIntoConsumerOp(castOp);
    if (resTy.hasStaticShape()) {
      if (foldCast)
        source = castOp.getSource();
      // Static both ways: collapse / expand, the form --effc-raise and the
      // attention rewrite read (as they read the static export's views).
      if (!cast<RankedTensorType>(source.getType()).hasStaticShape())
        return failure();
      rewriter.replaceOp(op, buildReshape(rewriter, op.getLoc(), source,
                                          cast<RankedTensorType>(resTy)));
      return success();
    }
    DenseIntElementsAttr shapeAttr;
    if (!matchPattern(op.getShape(), m_Constant(&shapeAttr)))
      return failure();
    SmallVector<int64_t> shape;
    for (const APInt &v : shapeAttr.getValues<APInt>()) {
      if (v.isNegative())
        return failure();
      shape.push_back(v.getSExtValue());
    }
    if (static_cast<int64_t>(shape.size()) != resTy.getRank())
      return failure();
    if (foldCast)
      source = castOp.getSource();
    auto srcTy = cast<RankedTensorType>(source.getType());
    auto staticTy = resTy.clone(shape);
    if (srcTy.hasStaticShape() &&
        srcTy.getNumElements() != staticTy.getNumElements())
      return failure();
    Value reshaped = tensor::ReshapeOp::create(rewriter, op.getLoc(), staticTy,
                                               source, op.getShape());
    rewriter.replaceOpWithNewOp<tensor::CastOp>(op, resTy, reshaped);
    return success();
  }
};

bool hasDynamicArg(func::FuncOp func) {
  return llvm::any_of(func.getArgumentTypes(), [](Type t) {
    auto r = dyn_cast<RankedTensorType>(t);
    return r && !r.hasStaticShape();
  });
}

struct SpecializePass : effc::impl::SpecializePassBase<SpecializePass> {
  using SpecializePassBase::SpecializePassBase;

  /// A private copy of `func` named `name`, marked with its source.
  func::FuncOp copyOf(func::FuncOp func, StringRef name) {
    auto copy = cast<func::FuncOp>(func->clone());
    copy.setSymName(name);
    copy.setPrivate();
    copy->setAttr(EffcDialect::kSpecializedFromAttrName, func.getSymNameAttr());
    SymbolTable(getOperation()).insert(copy, func->getIterator());
    return copy;
  }

  /// Static shapes through `func`: every canonicalization pattern
  /// (tensor.dim of a static tensor, static tensor.empty, tensor.cast into
  /// linalg ops, static expand_shape) plus StaticReshape, then CSE.
  LogicalResult propagate(func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    for (Dialect *dialect : ctx->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, ctx);
    patterns.add<StaticReshape>(ctx);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return func.emitError("effc-specialize: shape propagation did not "
                            "converge");
    OpPassManager pm(func::FuncOp::getOperationName());
    pm.addPass(createCSEPass());
    return runPipeline(pm, func);
  }

  /// Gives `copy` the version's argument types and propagates them; the
  /// results become as static as the body makes them.
  LogicalResult specialize(func::FuncOp copy, const Version &v) {
    Block &entry = copy.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    for (BlockArgument arg : entry.getArguments()) {
      Type dynamicType = arg.getType();
      Type staticType = v.apply(dynamicType);
      if (staticType == dynamicType)
        continue;
      arg.setType(staticType);
      auto cast = tensor::CastOp::create(b, copy.getLoc(), dynamicType, arg);
      arg.replaceAllUsesExcept(cast, cast);
    }
    copy.setFunctionType(FunctionType::get(
        &getContext(), entry.getArgumentTypes(), copy.getResultTypes()));
    if (failed(propagate(copy)))
      return failure();
    // Results: strip the casts back to the dynamic types.
    SmallVector<Type> results;
    copy.walk([&](func::ReturnOp ret) {
      for (OpOperand &operand : ret->getOpOperands())
        if (auto cast = operand.get().getDefiningOp<tensor::CastOp>())
          if (tensor::canFoldIntoConsumerOp(cast))
            operand.set(cast.getSource());
      results.assign(ret.getOperandTypes().begin(),
                     ret.getOperandTypes().end());
    });
    copy.setFunctionType(
        FunctionType::get(&getContext(), entry.getArgumentTypes(), results));
    if (failed(propagate(copy)))
      return failure();
    // Say so when shapes did not propagate everywhere.
    Operation *dynamicOp = nullptr;
    copy.walk([&](Operation *op) {
      for (Type t : op->getResultTypes())
        if (auto r = dyn_cast<RankedTensorType>(t);
            r && !r.hasStaticShape() && !dynamicOp)
          dynamicOp = op;
    });
    if (dynamicOp)
      dynamicOp->emitRemark()
          << "effc-specialize: @" << copy.getSymName()
          << " keeps dynamic shapes from here on (its sizes do not follow "
             "from the arguments' alone)";
    return success();
  }

  /// Replaces `func`'s body by the dispatcher over `versions` (in order),
  /// falling back to `general`.
  void buildDispatcher(func::FuncOp func,
                       ArrayRef<std::pair<Version, func::FuncOp>> versions,
                       func::FuncOp general) {
    Location loc = func.getLoc();
    func.getBody().getBlocks().clear();
    Block *entry = func.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(entry);
    ValueRange args = entry->getArguments();
    auto call = [&](OpBuilder &cb, func::FuncOp callee) {
      SmallVector<Value> operands;
      for (auto [arg, type] : llvm::zip(args, callee.getArgumentTypes()))
        operands.push_back(
            arg.getType() == type
                ? Value(arg)
                : tensor::CastOp::create(cb, loc, type, arg).getResult());
      auto c = func::CallOp::create(cb, loc, callee, operands);
      SmallVector<Value> results;
      for (auto [r, type] : llvm::zip(c.getResults(), func.getResultTypes()))
        results.push_back(
            r.getType() == type
                ? Value(r)
                : tensor::CastOp::create(cb, loc, type, r).getResult());
      return results;
    };
    // The runtime size of dim `d` of argument `i`, read once.
    llvm::DenseMap<std::pair<unsigned, int64_t>, Value> dims;
    auto dimOf = [&](unsigned i, int64_t d) {
      Value &v = dims[{i, d}];
      if (!v)
        v = tensor::DimOp::create(b, loc, args[i], d);
      return v;
    };
    std::function<SmallVector<Value>(OpBuilder &, size_t)> dispatch =
        [&](OpBuilder &db, size_t i) -> SmallVector<Value> {
      if (i == versions.size())
        return call(db, general);
      func::FuncOp callee = versions[i].second;
      Value match;
      for (auto [a, type] : llvm::enumerate(func.getArgumentTypes())) {
        auto from = dyn_cast<RankedTensorType>(type);
        auto to = dyn_cast<RankedTensorType>(callee.getArgumentTypes()[a]);
        if (!from || from == to)
          continue;
        for (int64_t d = 0; d < from.getRank(); ++d) {
          if (!from.isDynamicDim(d) || to.isDynamicDim(d))
            continue;
          Value eq = arith::CmpIOp::create(
              db, loc, arith::CmpIPredicate::eq, dimOf(a, d),
              arith::ConstantIndexOp::create(db, loc, to.getDimSize(d)));
          match = match ? arith::AndIOp::create(db, loc, match, eq) : eq;
        }
      }
      auto ifOp = scf::IfOp::create(db, loc, func.getResultTypes(), match,
                                    /*withElseRegion=*/true);
      OpBuilder thenB = OpBuilder::atBlockEnd(ifOp.thenBlock());
      scf::YieldOp::create(thenB, loc, call(thenB, callee));
      OpBuilder elseB = OpBuilder::atBlockEnd(ifOp.elseBlock());
      scf::YieldOp::create(elseB, loc, dispatch(elseB, i + 1));
      return SmallVector<Value>(ifOp.getResults());
    };
    // Dims are read before the first comparison.
    for (auto [a, type] : llvm::enumerate(func.getArgumentTypes()))
      if (auto t = dyn_cast<RankedTensorType>(type))
        for (int64_t d = 0; d < std::min<int64_t>(t.getRank(), 2); ++d)
          if (t.isDynamicDim(d))
            dimOf(a, d);
    func::ReturnOp::create(b, loc, dispatch(b, 0));
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (int64_t v : llvm::concat<const int64_t>(batch, seq))
      if (v < 1) {
        module.emitError("effc-specialize: sizes must be at least 1, got ")
            << v;
        return signalPassFailure();
      }
    if (batch.empty() && seq.empty()) {
      module.emitError(
          "effc-specialize: give the sizes to compile: batch=B,... "
          "and / or seq=S,...");
      return signalPassFailure();
    }
    SmallVector<Version> versions;
    SmallVector<std::optional<int64_t>> bs, ss;
    for (int64_t v : batch)
      bs.push_back(v);
    for (int64_t v : seq)
      ss.push_back(v);
    if (bs.empty())
      bs.push_back(std::nullopt);
    if (ss.empty())
      ss.push_back(std::nullopt);
    for (std::optional<int64_t> b : bs)
      for (std::optional<int64_t> s : ss)
        versions.push_back({b, s});

    SmallVector<func::FuncOp> funcs;
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal() && hasDynamicArg(func))
        funcs.push_back(func);
    SymbolTable symbols(module);
    for (func::FuncOp func : funcs) {
      std::string base = func.getSymName().str();
      for (const Version &v : versions)
        if (symbols.lookup(base + v.suffix())) {
          func.emitError("effc-specialize: @")
              << base + v.suffix() << " already exists";
          return signalPassFailure();
        }
      if (symbols.lookup(base + "_dynamic")) {
        func.emitError("effc-specialize: @")
            << base << "_dynamic already exists";
        return signalPassFailure();
      }
      SmallVector<std::pair<Version, func::FuncOp>> built;
      for (const Version &v : versions) {
        // A version that fixes no dim of this function adds nothing.
        bool changes = llvm::any_of(func.getArgumentTypes(),
                                    [&](Type t) { return v.apply(t) != t; });
        if (!changes)
          continue;
        func::FuncOp copy = copyOf(func, base + v.suffix());
        if (failed(specialize(copy, v)))
          return signalPassFailure();
        built.push_back({v, copy});
      }
      if (built.empty())
        continue;
      func::FuncOp general = copyOf(func, base + "_dynamic");
      buildDispatcher(func, built, general);
    }
  }
};

} // namespace
