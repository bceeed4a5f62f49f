#!/usr/bin/env python3
"""A QDQ MLP (as an ONNX QuantizeLinear / DequantizeLinear import or a
quantization-aware-trained model spells it) in upstream MLIR, and its
expected output computed with NumPy.

  qdq_mlp.py DIR

Two layers, 64 -> 32 (ReLU) -> 10, batch 8. Activations pass through
quant.qcast / quant.dcast with per-tensor int8 scales and zero points;
weights are int8 constants stored [K, N] (as ONNX MatMul reads them) with one
scale per output channel (axis 1), read through quant.scast + quant.dcast.
The reference computes the QDQ model as written, in float64: round half to
even, saturate, dequantize, matmul, bias, ReLU.
Writes DIR/model.mlir, DIR/x.npy and DIR/forward.expected.npy.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402


def qdq(x, s, z):
    q = np.clip(np.round(x / s) + z, -128, 127)  # np.round: half to even
    return (q - z) * s


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(77)
    batch, dims = 8, [64, 32, 10]
    x = gen.randn(rng, (batch, dims[0]))
    # Activation scales as a calibrator would have chosen them.
    act = [(0.03, -3), (0.02, -128)]
    m = gen.Model("A QDQ MLP (64 -> 32 -> 10, batch 8): quant.qcast / "
                  "quant.dcast activations, int8 [K, N] weights with\n"
                  "per-channel scales through quant.scast + quant.dcast, "
                  "linalg.matmul, bias and ReLU generics.")
    m.map("row", "affine_map<(d0, d1) -> (d1)>")
    m.map("id2", "affine_map<(d0, d1) -> (d0, d1)>")
    m.emit(f"  func.func @forward(%x: {gen.tensor((batch, dims[0]))}) -> "
           f"{gen.tensor((batch, dims[-1]))} {{")
    m.emit("    %zero = arith.constant 0.0 : f32")
    cur, ref = "%x", gen.f64(x)
    for i, (k, n) in enumerate(zip(dims[:-1], dims[1:])):
        s, z = act[i]
        at = f"!quant.uniform<i8:f32, {s}:{z}>"
        m.emit(f"    %xq{i} = quant.qcast {cur} : {gen.tensor((batch, k))} to "
               f"tensor<{batch}x{k}x{at}>")
        m.emit(f"    %xd{i} = quant.dcast %xq{i} : tensor<{batch}x{k}x{at}> to "
               f"{gen.tensor((batch, k))}")
        ref = qdq(ref, s, z)
        w = rng.integers(-127, 128, size=(k, n)).astype(np.int8)
        ws = (rng.uniform(0.5, 1.5, size=n) * np.sqrt(2.0 / k) / 64).astype(np.float32)
        b = gen.randn(rng, (n,), 0.1)
        wt = ("!quant.uniform<i8<-127:127>:f32:1, {" +
              ",".join(repr(float(v)) for v in ws) + "}>")
        hexw = w.astype("<i1").tobytes().hex().upper()
        m.emit(f'    %w{i}c = arith.constant dense<"0x{hexw}"> : '
               f"tensor<{k}x{n}xi8>")
        m.emit(f"    %w{i}q = quant.scast %w{i}c : tensor<{k}x{n}xi8> to "
               f"tensor<{k}x{n}x{wt}>")
        m.emit(f"    %w{i} = quant.dcast %w{i}q : tensor<{k}x{n}x{wt}> to "
               f"{gen.tensor((k, n))}")
        m.emit(f"    %b{i} = arith.constant {gen.hexconst(b)}")
        gen.zero_filled(m, f"%acc{i}", (batch, n))
        m.emit(f"    %mm{i} = linalg.matmul ins(%xd{i}, %w{i} : "
               f"{gen.tensor((batch, k))}, {gen.tensor((k, n))}) "
               f"outs(%acc{i} : {gen.tensor((batch, n))}) -> "
               f"{gen.tensor((batch, n))}")
        gen.bias_generic(m, f"%ba{i}", f"%mm{i}", f"%b{i}", (batch, n), "row")
        cur = f"%ba{i}"
        wf = w.astype(np.float64) * ws.astype(np.float64)[None, :]
        ref = ref @ wf + gen.f64(b)
        if i == 0:
            gen.relu_generic(m, f"%act{i}", cur, (batch, n))
            cur, ref = f"%act{i}", gen.relu(ref)
    m.emit(f"    return {cur} : {gen.tensor((batch, dims[-1]))}")
    m.emit("  }")
    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write(m.text())
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "forward.expected.npy"), gen.f32(ref))


if __name__ == "__main__":
    main()
