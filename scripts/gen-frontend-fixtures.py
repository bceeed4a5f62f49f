#!/usr/bin/env python3
"""Writes the torch-mlir fixtures the raise tests read (test/models/frontend).

Real frontend output, not hand-written IR: small PyTorch modules exported by
torch-mlir's FX importer in its linalg-on-tensors and TOSA forms (and two of
them by torch.onnx.export, for effc-import-onnx), with
batch-norm statistics set to non-trivial values so that folding them is
checked. Needs torch and torch-mlir (`pip install torch==2.14.1
torch-mlir==20261001`); the outputs are committed, so `make test` does not.

  python3 scripts/gen-frontend-fixtures.py test/models/frontend
"""
import inspect
import os
import sys

import numpy as np
import torch
from torch_mlir import fx

torch.manual_seed(0)


class TinyCnn(torch.nn.Module):
    """A MobileNetV2-style block set: conv-BN-ReLU6, depthwise, pointwise,
    a residual add, a grouped conv, global average pooling, a classifier."""

    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU6())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=False),
                                nn.BatchNorm2d(8), nn.ReLU6())
        self.pw = nn.Sequential(nn.Conv2d(8, 8, 1, bias=False),
                                nn.BatchNorm2d(8))
        self.grouped = nn.Sequential(nn.Conv2d(8, 16, 3, 1, 1, groups=2),
                                     nn.ReLU())
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.pw(self.dw(x))
        x = self.grouped(x)
        x = torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class Mlp(torch.nn.Module):
    """Linear + GELU (bias and activation as torch-mlir writes them)."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(32, 64)
        self.fc2 = torch.nn.Linear(64, 16)

    def forward(self, x):
        return self.fc2(torch.nn.functional.gelu(self.fc1(x)))


class GptBlock(torch.nn.Module):
    """A GPT-2-style pre-norm causal decoder block using
    scaled_dot_product_attention(is_causal=True)."""

    def __init__(self, d=32, heads=2):
        super().__init__()
        nn = torch.nn
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        shape = (b, s, self.heads, d // self.heads)
        q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))
        a = torch.nn.functional.scaled_dot_product_attention(q, k, v,
                                                             is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(b, s, d))
        return x + self.out(torch.nn.functional.gelu(self.fc(self.ln2(x))))


class LlamaLogits(torch.nn.Module):
    """A one-layer random-init Llama (GQA: 4 query heads, 2 KV heads; RoPE,
    RMSNorm, SiLU-gated MLP) from `transformers`, returning its logits; the
    causal mask is passed ready-made, as `transformers` accepts it."""

    def __init__(self, seq=16):
        super().__init__()
        from transformers import LlamaConfig, LlamaForCausalLM
        cfg = LlamaConfig(vocab_size=128, hidden_size=64,
                          intermediate_size=128, num_hidden_layers=1,
                          num_attention_heads=4, num_key_value_heads=2,
                          max_position_embeddings=64)
        self.lm = LlamaForCausalLM(cfg)
        mask = torch.full((1, 1, seq, seq), torch.finfo(torch.float32).min)
        self.register_buffer("causal_mask", torch.triu(mask, diagonal=1),
                             persistent=False)

    def forward(self, ids):
        return self.lm(input_ids=ids, attention_mask=self.causal_mask,
                       use_cache=False).logits


class EncoderLayer(torch.nn.Module):
    """A BERT-style post-norm encoder layer: bidirectional attention through
    scaled_dot_product_attention, GELU MLP, two residual LayerNorms."""

    def __init__(self, d=32, heads=2):
        super().__init__()
        nn = torch.nn
        self.heads = heads
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        shape = (b, s, self.heads, d // self.heads)
        q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))
        a = torch.nn.functional.scaled_dot_product_attention(q, k, v)
        x = self.ln1(x + self.proj(a.transpose(1, 2).reshape(b, s, d)))
        return self.ln2(x + self.out(torch.nn.functional.gelu(self.fc(x))))


def export_dynamic(model, examples, dims, name, out):
    """The linalg form with dynamic dimensions (`dims`: input dim -> name),
    as `torch.export` writes them for a server that takes any batch and
    sequence length; one input and PyTorch's output per example shape."""
    from torch.export import Dim
    model.eval()
    spec = {i: Dim(n, min=1 if n == "batch" else 2, max=512)
            for i, n in dims.items()}
    arg = next(iter(inspect.signature(model.forward).parameters))
    # torch-mlir 20261001 lowers the aten.view that nn.Linear's default
    # decomposition writes for a [B, S, K] input ([B*S, K], two dynamic
    # dims merged) as a tensor.cast of S to 1: wrong for every S > 1
    # (docs/torch-mlir-dynamic-view.md). Keeping aten.linear whole takes
    # torch-mlir's own lowering (batch_matmul by the broadcast weight).
    from torch_mlir.extras.fx_decomp_util import get_decomposition_table
    table = {op: fn for op, fn in get_decomposition_table().items()
             if op is not torch.ops.aten.linear.default}
    m = fx.export_and_import(model, examples[0], output_type="linalg-on-tensors",
                             func_name="main", dynamic_shapes={arg: spec},
                             decomposition_table=table)
    with open(os.path.join(out, f"{name}.linalg.mlir"), "w") as f:
        f.write(f"// Generated by scripts/gen-frontend-fixtures.py "
                f"(torch {torch.__version__}, torch-mlir FX, linalg-on-tensors,"
                f" dynamic dims {sorted(dims.items())}).\n")
        f.write(str(m))
    for i, example in enumerate(examples):
        np.save(os.path.join(out, f"{name}.input{i}.npy"), example.numpy())
        with torch.no_grad():
            np.save(os.path.join(out, f"{name}.torch{i}.npy"),
                    model(example).numpy())


def randomize_bn(model):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c) * 0.3)
            m.running_var.copy_(torch.rand(c) + 0.5)
            m.weight.data.copy_(torch.rand(c) + 0.5)
            m.bias.data.copy_(torch.randn(c) * 0.2)


def export(model, example, name, out, onnx=False):
    model.eval()
    for kind, suffix in (("linalg-on-tensors", "linalg"), ("tosa", "tosa")):
        m = fx.export_and_import(model, example, output_type=kind,
                                 func_name="main")
        with open(os.path.join(out, f"{name}.{suffix}.mlir"), "w") as f:
            f.write(f"// Generated by scripts/gen-frontend-fixtures.py "
                    f"(torch {torch.__version__}, torch-mlir FX, {kind}).\n")
            f.write(str(m))
    if onnx:
        # torch.onnx's TorchScript exporter, as TOOLCHAIN.md checks it.
        torch.onnx.export(model, (example,), os.path.join(out, f"{name}.onnx"),
                          dynamo=False, opset_version=17)
    np.save(os.path.join(out, f"{name}.input.npy"), example.numpy())
    with torch.no_grad():
        np.save(os.path.join(out, f"{name}.torch.npy"), model(example).numpy())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "test/models/frontend"
    os.makedirs(out, exist_ok=True)
    cnn = TinyCnn()
    randomize_bn(cnn)
    export(cnn, torch.randn(2, 3, 16, 16), "tiny_cnn", out, onnx=True)
    export(Mlp(), torch.randn(4, 32), "mlp_gelu", out)
    export(GptBlock(), torch.randn(1, 8, 32), "gpt_block", out, onnx=True)
    llama = LlamaLogits()
    # torch-mlir's FX importer needs every buffer in the state dict.
    for m in llama.modules():
        m._non_persistent_buffers_set.clear()
    export(llama, torch.randint(0, 128, (1, 16)), "llama", out)
    # Dynamic batch and sequence (issue 20): one artifact, three shapes.
    export_dynamic(Mlp(), [torch.randn(n, 32) for n in (4, 1, 7)],
                   {0: "batch"}, "mlp_dyn", out)
    shapes = ((2, 8), (1, 5), (3, 16))
    export_dynamic(GptBlock(), [torch.randn(b, s, 32) for b, s in shapes],
                   {0: "batch", 1: "seq"}, "gpt_block_dyn", out)
    export_dynamic(EncoderLayer(), [torch.randn(b, s, 32) for b, s in shapes],
                   {0: "batch", 1: "seq"}, "encoder_dyn", out)


if __name__ == "__main__":
    main()
