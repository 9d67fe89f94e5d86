# The README's Python snippets for `extract --store bf16|int8`, run on outputs of one prompt set and checked
# against the f32 outputs of the same prompts (int8: within scale/2; bf16: within 2^-8 relative).
# Usage: python3 read_compressed.py DIR, where DIR holds the runs ExtractPythonReadTest writes (layer 3):
#   f32, f32-st, f32-all, int8-arrow, int8-safetensors, int8-all, int8-all-st, bf16-arrow, bf16-safetensors, bf16-all
# Needs numpy, pyarrow, safetensors and ml_dtypes.
import os
import sys

import numpy as np
import pyarrow.ipc as ipc
from safetensors.numpy import load_file

os.chdir(sys.argv[1])


def arrow_f32(path):
    table = ipc.open_file(path).read_all()
    H = int(table.schema.metadata[b"hidden_size"])
    col = table.column("activation").combine_chunks()
    if table.schema.metadata[b"ragged"] == b"true":
        col = col.flatten()
    return col.flatten().to_numpy().reshape(-1, H)

# ---- README snippets (pooled) ----
table = ipc.open_file("int8-arrow/layer-3/residual_post.arrow").read_all()
H = int(table.schema.metadata[b"hidden_size"])
q = table.column("activation").combine_chunks().flatten().to_numpy().reshape(-1, H)        # int8 [N, H]
int8_arrow = q.astype(np.float32) * table.column("scale").to_numpy()[:, None]               # dequantized [N, H]

t = load_file("int8-safetensors/layer-3/residual_post.safetensors")
int8_st = t["activations"].astype(np.float32) * t["scales"][:, None]

table = ipc.open_file("bf16-arrow/layer-3/residual_post.arrow").read_all()
assert table.schema.field("activation").metadata[b"dtype"] == b"bfloat16"
bits = table.column("activation").combine_chunks().flatten().to_numpy().reshape(-1, H)      # uint16 [N, H]
bf16_arrow = (bits.astype(np.uint32) << 16).view(np.float32)

import ml_dtypes                                                                             # gives numpy a bfloat16 type
bf16_st = load_file("bf16-safetensors/layer-3/residual_post.safetensors")["activations"].astype(np.float32)

# ---- README snippets (ragged, --pool all) ----
table = ipc.open_file("int8-all/layer-3/residual_post.arrow").read_all()
q = table.column("activation").combine_chunks().flatten().flatten().to_numpy().reshape(-1, H)   # every token
int8_all = q.astype(np.float32) * table.column("scale").combine_chunks().flatten().to_numpy()[:, None]
t = load_file("int8-all-st/layer-3/residual_post.safetensors")
int8_all_st = t["activations"].astype(np.float32) * t["scales"][:, None]
offsets = t["offsets"]                                                                      # sample i = rows offsets[i]:offsets[i+1]

# ---- checks ----
f32 = arrow_f32("f32/layer-3/residual_post.arrow")
f32_st = load_file("f32-st/layer-3/residual_post.safetensors")["activations"]
f32_all = arrow_f32("f32-all/layer-3/residual_post.arrow")
assert np.array_equal(f32, f32_st)
for name, exact, got in [("int8 pooled", f32, int8_arrow), ("int8 all", f32_all, int8_all)]:
    scale = np.abs(exact).max(axis=1) / 127
    err = np.abs(got.astype(np.float64) - exact).max(axis=1)
    assert got.shape == exact.shape, (name, got.shape, exact.shape)
    assert np.all(err <= scale / 2 * (1 + 1e-5)), name
    print(f"{name}: {got.shape}, max error / (scale/2) = {np.max(err / (scale / 2)):.4f}")
assert np.array_equal(int8_arrow, int8_st) and np.array_equal(int8_all, int8_all_st)
assert np.array_equal(bf16_arrow, bf16_st)
assert np.all(np.abs(bf16_arrow - f32) <= np.abs(f32) * 2.0 ** -8)
assert offsets[-1] == len(int8_all) and len(offsets) == len(f32) + 1
table = ipc.open_file("bf16-all/layer-3/residual_post.arrow").read_all()
bits = table.column("activation").combine_chunks().flatten().flatten().to_numpy().reshape(-1, H)
assert np.all(np.abs((bits.astype(np.uint32) << 16).view(np.float32) - f32_all) <= np.abs(f32_all) * 2.0 ** -8)
print("bf16: pooled and all within 2^-8 relative; Arrow == safetensors")
print("all README snippets ran; int8 Arrow == int8 safetensors")
