// Tests that --effc-rewrite-attention rejects options it cannot apply with a
// diagnostic instead of silently doing nothing. Each option set gets its own
// input (split-file), since options apply to the whole run.

// RUN: rm -rf %t && split-file %s %t
// RUN: effc-opt %t/window-zero.mlir --effc-rewrite-attention="variant=window" --verify-diagnostics
// RUN: effc-opt %t/window-negative.mlir --effc-rewrite-attention="variant=window window=-3" --verify-diagnostics
// RUN: not effc-opt %t/unknown-variant.mlir --effc-rewrite-attention="variant=sliding" 2>&1 | FileCheck %t/unknown-variant.mlir
// RUN: effc-opt %t/stray-window.mlir --effc-rewrite-attention="variant=causal window=8" --verify-diagnostics
// RUN: effc-opt %t/conflict.mlir --effc-rewrite-attention="variant=window window=4" -split-input-file --verify-diagnostics

//--- window-zero.mlir
// Tests that variant=window without a window size is an error.
// expected-error @+1 {{variant=window needs a positive window, got 0}}
module {
  func.func @f() {
    return
  }
}

//--- window-negative.mlir
// Tests that a negative window is an error.
// expected-error @+1 {{variant=window needs a positive window, got -3}}
module {
  func.func @f() {
    return
  }
}

//--- unknown-variant.mlir
// Tests that an unknown variant is an error of the option parser.
// CHECK: for the --variant option: Cannot find option named 'sliding'!
// CHECK: error:
module {
  func.func @f() {
    return
  }
}

//--- stray-window.mlir
// Tests that a window with another variant is an error, not ignored.
// expected-error @+1 {{window=8 is only meaningful with variant=window}}
module {
  func.func @f() {
    return
  }
}

//--- conflict.mlir
// Tests that imposing a window on an attention with an explicit mask is an
// error on that op: the mask may encode padding that a window would drop.
func.func @explicit(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>,
                    %m: tensor<4x6xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{variant=window conflicts with this attention's explicit mask}}
  %o = effc.attention %q, %k, %v mask(%m : tensor<4x6xf32>) {mask = #effc.mask<explicit>}
      : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

// Tests that an attention without a mask in the same module still gets the
// window (no diagnostic).
func.func @plain(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %v: tensor<6x8xf32>) -> tensor<4x8xf32> {
  %o = effc.attention %q, %k, %v : tensor<4x8xf32>, tensor<6x8xf32>, tensor<6x8xf32> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}
