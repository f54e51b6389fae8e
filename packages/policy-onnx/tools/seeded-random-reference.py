"""Independent Python implementation of src/seeded-random.ts (SplitMix32 seeding, xoshiro128**,
FNV-1a name hashing, polar-method normals). Prints the values src/seeded-random.test.ts expects.

Run: /usr/bin/python3 packages/policy-onnx/tools/seeded-random-reference.py
"""
import math

M = 0xFFFFFFFF


def splitmix32(state):
    z = (state + 0x9E3779B9) & M
    z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M
    z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M
    return z ^ (z >> 16)


def derive_seed(seed, name):
    h = 0x811C9DC5
    for byte in name.encode('utf-8'):
        h = ((h ^ byte) * 0x01000193) & M
    low, high = seed & M, (seed >> 32) & M
    return splitmix32(h ^ splitmix32(low ^ splitmix32(high)))


def rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M


class Xoshiro128:
    def __init__(self, seed):
        state = seed & M
        s = []
        for _ in range(4):
            state = (state + 0x9E3779B9) & M
            s.append(splitmix32(state))
        self.s = s

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 9) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 11)
        return result


def normals(random, count, std):
    # Marsaglia's polar method, as in fillNormal.
    out = []
    while len(out) < count:
        u = random.next() / 2**31 - 1
        v = random.next() / 2**31 - 1
        s = u * u + v * v
        if s >= 1 or s == 0:
            continue
        factor = std * math.sqrt(-2 * math.log(s) / s)
        out += [u * factor, v * factor]
    return out[:count]


r = Xoshiro128(42)
print('uint32 seed 42:', [r.next() for _ in range(6)])
print('deriveSeed(7, "model.embed_tokens.weight"):', derive_seed(7, 'model.embed_tokens.weight'))
print('deriveSeed(2**40 + 3, "lm_head.weight"):', derive_seed(2**40 + 3, 'lm_head.weight'))
r = Xoshiro128(derive_seed(7, 'model.embed_tokens.weight'))
print('normals std 0.02:', [float('%.9g' % v) for v in normals(r, 6, 0.02)])
