//===- EffcDialect.cpp - effc dialect ---------------------------*- C++ -*-===//

#include "effc/Dialect/EffcDialect.h"
#include "effc/Dialect/EffcAttrs.h"
#include "effc/Dialect/EffcOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::effc;

#include "effc/Dialect/EffcDialect.cpp.inc"

void EffcDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "effc/Dialect/EffcOps.cpp.inc"
      >();
  registerAttributes();
}

//===----------------------------------------------------------------------===//
// HLS directives
//===----------------------------------------------------------------------===//

/// Checks `factors` as the partition of an array of type `type`.
static LogicalResult verifyHlsPartition(function_ref<InFlightDiagnostic()> err,
                                        Attribute factors, Type type) {
  auto array = dyn_cast<DenseI64ArrayAttr>(factors);
  if (!array)
    return err() << "'" << EffcDialect::kHlsPartitionAttrName
                 << "' must be an array<i64> of partition factors";
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref)
    return err() << "'" << EffcDialect::kHlsPartitionAttrName
                 << "' needs a memref, got " << type;
  if (array.size() != memref.getRank())
    return err() << "'" << EffcDialect::kHlsPartitionAttrName << "' needs "
                 << memref.getRank() << " factors (one per dimension), got "
                 << array.size();
  if (llvm::any_of(array.asArrayRef(), [](int64_t f) { return f < 1; }))
    return err() << "'" << EffcDialect::kHlsPartitionAttrName
                 << "' factors must be >= 1";
  return success();
}

/// The HLS directives are discardable so that they can sit on the upstream
/// ops the FPGA lowering produces; each still belongs on one kind of op and
/// has one type, which the emitter relies on.
static LogicalResult verifyHlsAttribute(Operation *op, NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  auto onlyOn = [&](StringRef where) {
    return op->emitError() << "'" << name << "' is only valid on " << where;
  };
  auto mustBe = [&](StringRef what) {
    return op->emitError() << "'" << name << "' must be " << what;
  };
  auto intValue = [&]() -> std::optional<int64_t> {
    auto i = dyn_cast<IntegerAttr>(value);
    if (!i || !isa<IntegerType>(i.getType()))
      return std::nullopt;
    return i.getInt();
  };

  if (name == EffcDialect::kHlsTopAttrName ||
      name == EffcDialect::kHlsDataflowAttrName) {
    if (!isa<func::FuncOp>(op))
      return onlyOn("func.func");
    if (!isa<UnitAttr>(value))
      return mustBe("a unit attribute");
    return success();
  }
  if (name == EffcDialect::kHlsNumInputsAttrName) {
    auto f = dyn_cast<func::FuncOp>(op);
    if (!f)
      return onlyOn("func.func");
    std::optional<int64_t> n = intValue();
    if (!n || *n < 0 || *n > int64_t(f.getNumArguments()))
      return mustBe("an integer in [0, number of arguments]");
    return success();
  }
  if (name == EffcDialect::kHlsFixedAttrName) {
    if (!isa<func::FuncOp>(op))
      return onlyOn("func.func");
    auto wi = dyn_cast<DenseI64ArrayAttr>(value);
    if (!wi || wi.size() != 2 || wi[1] < 1 || wi[1] >= wi[0])
      return mustBe("array<i64: W, I> with 0 < I < W");
    return success();
  }
  if (name == EffcDialect::kHlsMaxDimsAttrName) {
    auto f = dyn_cast<func::FuncOp>(op);
    if (!f)
      return onlyOn("func.func");
    auto dims = dyn_cast<DenseI64ArrayAttr>(value);
    if (!dims ||
        llvm::any_of(dims.asArrayRef(), [](int64_t d) { return d < 1; }))
      return mustBe("an array<i64> of bounds >= 1");
    ArrayRef<Type> args = f.getArgumentTypes();
    if (int64_t(args.size()) < dims.size() ||
        !llvm::all_of(args.take_back(dims.size()),
                      [](Type t) { return isa<IndexType>(t); }))
      return mustBe("one bound per trailing index parameter");
    return success();
  }
  if (name == EffcDialect::kHlsShapesAttrName) {
    if (!isa<func::FuncOp>(op))
      return onlyOn("func.func");
    auto maps = dyn_cast<ArrayAttr>(value);
    if (!maps || !llvm::all_of(maps, [](Attribute a) {
          auto m = dyn_cast<AffineMapAttr>(a);
          return m && m.getValue().getNumDims() == 0;
        }))
      return mustBe("an array of affine maps of symbols only");
    return success();
  }
  if (name == EffcDialect::kHlsEstimateAttrName) {
    if (!isa<func::FuncOp, affine::AffineForOp>(op))
      return onlyOn("func.func and affine.for");
    auto dict = dyn_cast<DictionaryAttr>(value);
    if (!dict || !llvm::all_of(dict, [](NamedAttribute a) {
          return isa<IntegerAttr>(a.getValue());
        }))
      return mustBe("a dictionary of integers");
    return success();
  }
  if (name == EffcDialect::kSpecializedFromAttrName) {
    // Kept through the lowering of func.func to other function ops.
    if (!isa<FunctionOpInterface>(op))
      return onlyOn("functions");
    auto s = dyn_cast<StringAttr>(value);
    if (!s || s.getValue().empty())
      return mustBe("a non-empty string");
    return success();
  }
  if (name == EffcDialect::kHlsLayerAttrName) {
    if (!isa<affine::AffineForOp>(op))
      return onlyOn("affine.for");
    auto s = dyn_cast<StringAttr>(value);
    if (!s || s.getValue().empty())
      return mustBe("a non-empty string");
    return success();
  }
  if (name == EffcDialect::kHlsPipelineIiAttrName ||
      name == EffcDialect::kHlsUnrollAttrName ||
      name == EffcDialect::kHlsTripcountAttrName) {
    if (!isa<affine::AffineForOp>(op))
      return onlyOn("affine.for");
    int64_t min = name == EffcDialect::kHlsUnrollAttrName ? 0 : 1;
    std::optional<int64_t> v = intValue();
    if (!v || *v < min)
      return mustBe(min ? "an integer >= 1" : "an integer >= 0");
    return success();
  }
  if (name == EffcDialect::kHlsPartitionAttrName) {
    Type type;
    if (auto global = dyn_cast<memref::GlobalOp>(op))
      type = global.getType();
    else if (isa<memref::AllocOp, memref::AllocaOp>(op))
      type = op->getResult(0).getType();
    else
      return onlyOn("memref.global, memref.alloc, memref.alloca and "
                    "func.func arguments");
    return verifyHlsPartition([&] { return op->emitError(); }, value, type);
  }
  if (name == EffcDialect::kHlsInterfaceAttrName) {
    if (!isa<memref::GlobalOp>(op))
      return onlyOn("memref.global");
    auto s = dyn_cast<StringAttr>(value);
    if (!s || s.getValue() != EffcDialect::kHlsMAxiInterface)
      return mustBe("\"m_axi\"");
    return success();
  }
  return op->emitError() << "unknown effc attribute '" << name << "'";
}

//===----------------------------------------------------------------------===//
// Discardable attributes
//===----------------------------------------------------------------------===//

// The plan attributes are discardable so that they can sit on any op,
// upstream ones included; their names still promise a type.
LogicalResult EffcDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  if (attr.getName() == kPrecisionPlanAttrName) {
    if (!isa<PrecisionPlanAttr>(attr.getValue()))
      return op->emitError() << "'" << kPrecisionPlanAttrName
                             << "' must be a #effc.precision_plan";
    return success();
  }
  if (attr.getName() == kSparsityPlanAttrName) {
    if (!isa<SparsityPlanAttr>(attr.getValue()))
      return op->emitError() << "'" << kSparsityPlanAttrName
                             << "' must be a #effc.sparsity_plan";
    return success();
  }
  if (attr.getName() == kSparseDecisionAttrName) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError()
             << "'" << kSparseDecisionAttrName << "' must be a string";
    return success();
  }
  if (attr.getName() == kNameAttrName) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << kNameAttrName << "' must be a string";
    return success();
  }
  return verifyHlsAttribute(op, attr);
}

// Of the argument attributes only the HLS partition is checked here; others
// (the GPU lowering's `effc.tensor_map`) are checked by the pass that reads
// them.
LogicalResult EffcDialect::verifyRegionArgAttribute(Operation *op,
                                                    unsigned regionIndex,
                                                    unsigned argIndex,
                                                    NamedAttribute attr) {
  if (attr.getName() != kHlsPartitionAttrName)
    return success();
  auto f = dyn_cast<func::FuncOp>(op);
  if (!f)
    return op->emitError() << "'" << kHlsPartitionAttrName
                           << "' is only valid on func.func arguments";
  return verifyHlsPartition(
      [&] { return op->emitError() << "argument " << argIndex << ": "; },
      attr.getValue(), f.getArgumentTypes()[argIndex]);
}

StringAttr mlir::effc::getOpName(Operation *op) {
  if (auto name = op->getAttrOfType<StringAttr>(EffcDialect::kNameAttrName))
    return name;
  return op->getAttrOfType<StringAttr>("name");
}

std::string mlir::effc::getOpNameOrLocation(Operation *op) {
  if (StringAttr name = getOpName(op))
    return name.str();
  std::string loc;
  llvm::raw_string_ostream os(loc);
  op->getLoc().print(os);
  return loc;
}
