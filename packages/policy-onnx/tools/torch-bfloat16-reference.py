"""Digests of PyTorch's own float32 -> bfloat16 and float32 -> float16 rounding, which
src/bfloat16.test.ts and src/float16.test.ts compare against (Debian's python3-torch, CPU).

Run: /usr/bin/python3 packages/policy-onnx/tools/torch-bfloat16-reference.py
Inputs: 200000 binary32 bit patterns from xorshift32 seeded 0x2545F491 (the generator of the tests),
NaN patterns skipped (torch writes one canonical NaN; we keep payloads). Output: SHA-256 of the
little-endian uint16 results.
"""
import hashlib
import struct

import torch


def xorshift32(state):
    state ^= (state << 13) & 0xFFFFFFFF
    state ^= state >> 17
    state ^= (state << 5) & 0xFFFFFFFF
    return state


patterns = []
state = 0x2545F491
while len(patterns) < 200000:
    state = xorshift32(state)
    if (state & 0x7F800000) == 0x7F800000 and (state & 0x7FFFFF) != 0:
        continue
    patterns.append(state)

singles = torch.tensor([struct.unpack('<i', struct.pack('<I', bits))[0] for bits in patterns], dtype=torch.int32).view(torch.float32)
for name, dtype in (('bfloat16', torch.bfloat16), ('float16', torch.float16)):
    values = singles.to(dtype).view(torch.int16).tolist()
    halves = struct.pack('<%dH' % len(values), *[value & 0xFFFF for value in values])
    print(name, torch.__version__, hashlib.sha256(halves).hexdigest())
