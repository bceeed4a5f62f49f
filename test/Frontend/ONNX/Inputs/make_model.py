#!/usr/bin/env python3
"""Builds the small ONNX models the effc-import-onnx tests import.

    make_model.py NAME OUT.onnx

Weights are random with a fixed seed. Debian's onnx 1.12 needs numpy's
removed aliases back before it imports.
"""

import sys

import numpy as np

for _name, _type in [("float", float), ("int", int), ("bool", bool),
                     ("object", object), ("complex", complex), ("str", str)]:
    if _name not in np.__dict__:
        setattr(np, _name, _type)

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

from onnx import TensorProto, helper, numpy_helper, save  # noqa: E402

F = TensorProto.FLOAT
rng = np.random.default_rng(0)


def weight(name, *shape):
    data = rng.standard_normal(shape).astype(np.float32) * 0.3
    return numpy_helper.from_array(data, name)


def model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)])


def vi(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def mlp():
    # MatMul + Add + Relu, then Gemm with transB (nn.Linear's ONNX form).
    return model(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Add", ["h", "b1"], ["hb"], name="fc1_bias"),
         helper.make_node("Relu", ["hb"], ["a"], name="relu1"),
         helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], name="fc2",
                          transB=1)],
        [vi("x", [4, 64])], [vi("y", [4, 10])],
        [weight("w1", 64, 32), weight("b1", 32), weight("w2", 10, 32),
         weight("b2", 10)])


def cnn():
    # Conv + BatchNormalization (folded) + Relu, a depthwise and a grouped
    # conv, pooling, Flatten and a Gemm classifier.
    bn = [numpy_helper.from_array(
        (rng.random(8) + 0.5).astype(np.float32), n)
        for n in ["bn_scale", "bn_var"]]
    bn += [weight("bn_bias", 8), weight("bn_mean", 8)]
    return model(
        [helper.make_node("Conv", ["x", "c1w", "c1b"], ["c1"], name="conv1",
                          pads=[1, 1, 1, 1], strides=[1, 1]),
         helper.make_node("BatchNormalization",
                          ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"],
                          ["n1"], name="bn1", epsilon=1e-5),
         helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
         helper.make_node("Conv", ["r1", "dww"], ["dw"], name="dwconv",
                          group=8, pads=[1, 1, 1, 1]),
         helper.make_node("Conv", ["dw", "gw"], ["gc"], name="gconv",
                          group=2),
         helper.make_node("MaxPool", ["gc"], ["p"], name="pool",
                          kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("GlobalAveragePool", ["p"], ["gap"], name="gap"),
         helper.make_node("Flatten", ["gap"], ["f"], name="flatten"),
         helper.make_node("Gemm", ["f", "fcw", "fcb"], ["y"], name="fc",
                          transB=1)],
        [vi("x", [1, 3, 8, 8])], [vi("y", [1, 10])],
        [weight("c1w", 8, 3, 3, 3), weight("c1b", 8), weight("dww", 8, 1, 3, 3),
         weight("gw", 16, 4, 1, 1), weight("fcw", 10, 16), weight("fcb", 10)]
        + bn)


def attention_block():
    # LayerNormalization and Softmax over the last dim.
    return model(
        [helper.make_node("LayerNormalization", ["x", "g", "b"], ["n"],
                          name="ln", axis=-1, epsilon=1e-5),
         helper.make_node("Softmax", ["n"], ["y"], name="softmax", axis=-1)],
        [vi("x", [2, 4, 16])], [vi("y", [2, 4, 16])],
        [weight("g", 16), weight("b", 16)])


def unsupported():
    return model(
        [helper.make_node("Relu", ["x"], ["r"], name="relu"),
         helper.make_node("NonMaxSuppression", ["r", "r"], ["y"],
                          name="nms_node")],
        [vi("x", [1, 4, 4])], [vi("y", [1, 3], TensorProto.INT64)])


def dynamic():
    return model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")],
        [vi("x", ["batch", 8])], [vi("y", ["batch", 4])], [weight("w", 8, 4)])


def quant():
    # A QDQ-style pair and an integer matmul.
    scale = numpy_helper.from_array(np.array(0.05, np.float32), "s")
    zp = numpy_helper.from_array(np.array(3, np.uint8), "zp")
    return model(
        [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"],
                          name="quant"),
         helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"],
                          name="dequant"),
         helper.make_node("MatMulInteger", ["q", "qw", "zp"], ["acc"],
                          name="imatmul")],
        [vi("x", [2, 8])], [vi("y", [2, 8]), vi("acc", [2, 4],
                                                 TensorProto.INT32)],
        [scale, zp, numpy_helper.from_array(
            rng.integers(0, 255, (8, 4)).astype(np.uint8), "qw")])


def bad_schema():
    # A Conv without its weight input.
    return model([helper.make_node("Conv", ["x"], ["y"], name="conv")],
                 [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 4, 4])])


def type_mismatch():
    return model([helper.make_node("Add", ["x", "z"], ["y"], name="add")],
                 [vi("x", [2, 2]), vi("z", [2, 2], TensorProto.INT64)],
                 [vi("y", [2, 2])])


def gelu():
    # Gelu (opset 20), exact and tanh-approximated: no node test in onnx 1.12.
    return model(
        [helper.make_node("Gelu", ["x"], ["e"], name="gelu"),
         helper.make_node("Gelu", ["x"], ["t"], name="gelu_tanh",
                          approximate="tanh"),
         helper.make_node("Concat", ["e", "t"], ["y"], name="cat", axis=0)],
        [vi("x", [2, 16])], [vi("y", [4, 16])], opset=20)


def attention_gqa():
    # Opset 23 Attention, 4-D: 4 query heads over 2 kv heads, causal.
    return model(
        [helper.make_node("Attention", ["q", "k", "v"], ["y"], name="attn",
                          is_causal=1)],
        [vi("q", [1, 4, 6, 8]), vi("k", [1, 2, 6, 8]), vi("v", [1, 2, 6, 8])],
        [vi("y", [1, 4, 6, 8])], opset=23)


def attention_3d():
    # Opset 23 Attention, 3-D [B, S, H*D] with an additive mask, a scale and
    # a softcap.
    mask = numpy_helper.from_array(
        np.triu(np.full((5, 7), -1e4, np.float32), 3), "mask")
    return model(
        [helper.make_node("Attention", ["q", "k", "v", "mask"], ["y"],
                          name="attn", q_num_heads=2, kv_num_heads=2,
                          scale=0.3, softcap=4.0)],
        [vi("q", [2, 5, 16]), vi("k", [2, 7, 16]), vi("v", [2, 7, 12])],
        [vi("y", [2, 5, 12])], [mask], opset=23)


def sdpa_scale():
    """torch.onnx's scaled_dot_product_attention scale: 1 / sqrt of the
    last dim of Shape(q), sliced with starts = -1 and ends = INT64_MAX."""
    i64 = TensorProto.INT64
    const = lambda name, vals, t=i64: helper.make_node(
        "Constant", [], [name], value=helper.make_tensor(name, t, [len(vals)],
                                                         vals))
    return model(
        [helper.make_node("Shape", ["q"], ["shape"]),
         const("starts", [-1]), const("ends", [9223372036854775807]),
         helper.make_node("Slice", ["shape", "starts", "ends"], ["last"]),
         helper.make_node("Cast", ["last"], ["lastf"], to=F),
         helper.make_node("Sqrt", ["lastf"], ["root"]),
         helper.make_node("Mul", ["q", "root"], ["y"])],
        [vi("q", [1, 2, 8, 16])], [vi("y", [1, 2, 8, 16])])


MODELS = {"mlp": mlp, "sdpa_scale": sdpa_scale, "cnn": cnn, "attention_block": attention_block,
          "unsupported": unsupported, "dynamic": dynamic, "quant": quant,
          "bad_schema": bad_schema, "type_mismatch": type_mismatch,
          "gelu": gelu, "attention_gqa": attention_gqa,
          "attention_3d": attention_3d}


if __name__ == "__main__":
    save(MODELS[sys.argv[1]](), sys.argv[2])
