#!/usr/bin/env python3
"""Writes the seed corpora in corpus/ (committed; rerun only to change them).

Each harness gets a few valid inputs and a few broken ones, a few KiB in all.
fuzz_idx inputs are [2-byte little-endian length L][images file, L bytes][labels file].
"""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(harness, name, data):
    os.makedirs(os.path.join(HERE, "corpus", harness), exist_ok=True)
    with open(os.path.join(HERE, "corpus", harness, name), "wb") as f:
        f.write(data)


def idx(magic, sizes, payload):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", s) for s in sizes) + payload


def idx_pair(images, labels):
    return struct.pack("<H", len(images)) + images + labels


def gz(data):
    return gzip.compress(data, mtime=0)


def main():
    n, rows, cols = 3, 4, 5
    pixels = bytes((i * 37) % 256 for i in range(n * rows * cols))
    images = idx(0x803, [n, rows, cols], pixels)
    labels = idx(0x801, [n], bytes([1, 7, 3]))
    write("idx", "valid", idx_pair(images, labels))
    write("idx", "valid-gzip", idx_pair(gz(images), gz(labels)))
    write("idx", "square-8x8", idx_pair(idx(0x803, [2, 8, 8], bytes(range(128))), idx(0x801, [2], b"\x00\x09")))
    write("idx", "wraps-2-64", idx_pair(idx(0x803, [4, 1 << 31, 1 << 31], b""), idx(0x801, [4], b"\x01\x02\x03\x04")))
    write("idx", "truncated", idx_pair(images[:-7], labels))
    write("idx", "trailing", idx_pair(images + b"\xab" * 9, labels))
    write("idx", "count-mismatch", idx_pair(images, idx(0x801, [2], b"\x01\x02")))
    write("idx", "bad-label", idx_pair(images, idx(0x801, [n], bytes([1, 250, 3]))))
    write("idx", "labels-as-images", idx_pair(labels, images))

    record = bytes([3]) + bytes((p * 7) % 256 for p in range(3072))
    write("cifar", "one-record", record)
    write("cifar", "one-record-gzip", gz(record))
    write("cifar", "half-record", record[:1500])
    write("cifar", "bad-label", bytes([12]) + record[1:])
    write("cifar", "cut-gzip", gz(record + record)[:60])

    spirals = {"dataset": {"kind": "spirals", "synthetic_samples": 200},
               "model": {"preset": "mlp", "hidden": [16, 8], "batchnorm": True, "dropout": 0.1},
               "precision": {"mode": "fp16-amp", "scaler": "pytorch", "init_scale": 65536},
               "optimizer": {"kind": "sgd", "lr": 0.05, "momentum": 0.9},
               "training": {"epochs": 2, "batch_size": 32, "seed": 7}}
    write("config", "spirals-mlp.json", json.dumps(spirals).encode())
    cnn = {"dataset": {"kind": "cifar10", "path": "/tmp/cifar"},
           "model": {"preset": "cifar-cnn", "channels": [4, 4, 4, 4, 4, 4]},
           "schedule": {"kind": "cosine", "warmup_steps": 10}, "training": {"max_steps": 5}}
    write("config", "cifar-cnn.json", json.dumps(cnn).encode())
    write("config", "lenet.json", b'{"model":{"preset":"lenet","hidden":[120,84],"channels":[6,16]}}')
    write("config", "wrong-types.json", b'{"model":{"hidden":"wide"},"training":{"epochs":1.5,"seed":-1}}')
    write("config", "unknown-keys.json", b'{"modle":{},"training":{"epoch":3}}')
    write("config", "deep.json", b'{"model":{"hidden":' + b"[" * 80 + b"]" * 80 + b"}}")
    write("config", "broken.json", b'{"name": "unterminated')


if __name__ == "__main__":
    main()
