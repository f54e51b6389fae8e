"""Writes src/__fixtures__/python-written.safetensors with Python's struct and json only (no torch,
no safetensors package), laid out the way the reference writer lays files out: an 8-byte little-endian
header length, a compact JSON header padded with spaces to a multiple of 8, tensors sorted by dtype
size (largest first) then by name, contiguous from offset 0.

Run: /usr/bin/python3 packages/policy-onnx/tools/write-safetensors-fixture.py
The values are simple formulas, so src/safetensors/safetensors.test.ts can state them independently.
"""
import json
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
target = os.path.join(here, '..', 'src', '__fixtures__', 'python-written.safetensors')


def bf16(value):
    # The values below are exact in bfloat16, so truncating the binary32 bits is exact.
    (bits,) = struct.unpack('<I', struct.pack('<f', value))
    assert bits & 0xFFFF == 0, value
    return struct.pack('<H', bits >> 16)


tensors = {
    # name: (dtype, shape, bytes)
    'model.embed_tokens.weight': ('F32', [3, 4], b''.join(struct.pack('<f', i * 0.25 - 1.0) for i in range(12))),
    'model.norm.weight': ('F16', [4], b''.join(struct.pack('<e', v) for v in [1.0, -0.5, 65504.0, 2.0 ** -24])),
    'model.layers.0.mlp.up_proj.weight': ('BF16', [2, 3], b''.join(bf16(v) for v in [1.0, -2.0, 0.5, 3.0, -0.125, 256.0])),
    'position_ids': ('I64', [5], b''.join(struct.pack('<q', v) for v in [0, 1, -2, 2**40, -(2**62)])),
    'attention_mask': ('BOOL', [2, 2], bytes([1, 0, 0, 1])),
    'scale': ('F64', [], struct.pack('<d', 0.1)),
    'empty': ('F32', [0, 7], b''),
}

sizes = {'F64': 8, 'I64': 8, 'F32': 4, 'F16': 2, 'BF16': 2, 'BOOL': 1}
order = sorted(tensors, key=lambda name: (-sizes[tensors[name][0]], name))
header = {'__metadata__': {'format': 'pt', 'writer': 'python struct'}}
offset = 0
for name in order:
    dtype, shape, data = tensors[name]
    header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + len(data)]}
    offset += len(data)
text = json.dumps(header, separators=(',', ':')).encode('utf-8')
text += b' ' * ((8 - len(text) % 8) % 8)
with open(target, 'wb') as file:
    file.write(struct.pack('<Q', len(text)))
    file.write(text)
    for name in order:
        file.write(tensors[name][2])
print(target, 8 + len(text) + offset, 'bytes')
