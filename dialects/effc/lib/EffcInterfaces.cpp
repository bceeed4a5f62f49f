//===- EffcInterfaces.cpp - effc op interfaces ------------------*- C++ -*-===//

#include "effc/Dialect/EffcInterfaces.h"

using namespace mlir;
using namespace mlir::effc;

#include "effc/Dialect/EffcInterfaces.cpp.inc"
