#!/usr/bin/env python3
"""Peak-memory check of effc's flash attention: runs causal attention with
S = 128 and S = 8192 (D = 64) through effc-run and compares the peak RSS of
the two processes. The S = 8192 inputs and output take 8 MiB; one S x S f32
score matrix would take 256 MiB. Exits 1 when the long case adds more than
the allowed MiB. Usage: attention_memory.py EFFC_RUN WORKDIR [LIMIT_MIB]"""

import os
import subprocess
import sys

MODEL = """func.func @attn(%q: tensor<1x1x{s}x64xf32>, %k: tensor<1x1x{s}x64xf32>, %v: tensor<1x1x{s}x64xf32>) -> tensor<1x1x{s}x64xf32> {{
  %o = effc.attention %q, %k, %v {{mask = #effc.mask<causal>}} : tensor<1x1x{s}x64xf32>, tensor<1x1x{s}x64xf32>, tensor<1x1x{s}x64xf32> -> tensor<1x1x{s}x64xf32>
  return %o : tensor<1x1x{s}x64xf32>
}}
"""


def peak_rss_kib(cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited with {status}")
    return usage.ru_maxrss


def main():
    effc_run, work = sys.argv[1], sys.argv[2]
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 48.0
    os.makedirs(work, exist_ok=True)
    rss = {}
    for s in (128, 8192):
        path = os.path.join(work, f"attn{s}.mlir")
        with open(path, "w") as f:
            f.write(MODEL.format(s=s))
        rss[s] = peak_rss_kib([effc_run, path, "--entry", "attn"])
    delta = (rss[8192] - rss[128]) / 1024.0
    print(f"peak_rss_kib S=128: {rss[128]} S=8192: {rss[8192]} "
          f"delta_mib={delta:.1f} limit_mib={limit}")
    if delta > limit:
        print("FAIL: the long sequence costs more memory than allowed")
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
