//===- effc_c.cpp - the shared C API library for Python ---------*- C++ -*-===//
//
// libeffc_c.so: the C API (lib/CAPI) and MLIR's C API in one shared object
// that python/effc loads with ctypes. The library's code is all in the
// archives it links; this file only anchors them.
//
//===----------------------------------------------------------------------===//

#include "effc-c/Effc.h"

extern "C" MLIR_CAPI_EXPORTED int effcCApiVersion(void) { return 1; }
