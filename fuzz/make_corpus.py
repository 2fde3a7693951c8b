#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into fuzz/corpus/<target>/ (needs numpy).

The seeds are small valid (and a few invalid) inputs, written by NumPy and Python's zipfile, so
that the fuzzers start from the formats' real shapes. Run it again after changing a target's input
format; fuzz/run.sh only reads the seeds (what the fuzzers find goes to the build directory).
"""
import io
import os
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def npy(a, version=None):
    f = io.BytesIO()
    if version is None:
        np.save(f, a)
    else:
        np.lib.format.write_array(f, a, version=version)
    return f.getvalue()


def npz(arrays, compressed=False):
    f = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(f, **arrays)
    return f.getvalue()


def stored_zip(members):
    """An archive as tfx writes it: stored members, no ZIP64 extra fields."""
    f = io.BytesIO()
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return f.getvalue()


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    arrays = {
        "f4_2x3": np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5,
        "f8_4": np.linspace(-1, 1, 4),
        "i4_scalar": np.array(7, dtype=np.int32),
        "i8_2x1x2": np.arange(4, dtype=np.int64).reshape(2, 1, 2) - 2,
        "b1_3": np.array([True, False, True]),
        "u1_2x2": np.arange(4, dtype=np.uint8).reshape(2, 2),
        "f4_0x3": np.zeros((0, 3), dtype=np.float32),
        "f8_2x2x2x2x1": np.ones((2, 2, 2, 2, 1)),
    }
    for name, a in arrays.items():
        data = npy(a)
        write("npy_load", name + ".npy", data)
        write("npy_header", name + ".hdr", data[: 10 + int.from_bytes(data[8:10], "little")])
    a = arrays["f4_2x3"]
    for v in [(2, 0), (3, 0)]:
        data = npy(a, v)
        write("npy_load", f"v{v[0]}.npy", data)
        write("npy_header", f"v{v[0]}.hdr", data[: 12 + int.from_bytes(data[8:12], "little")])
    write("npy_load", "fortran.npy", npy(np.asfortranarray(a)))
    write("npy_load", "bigendian.npy", npy(a.astype(">f4")))
    write("npy_header", "structured.hdr", npy(np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))[:128])

    small = {k: arrays[k] for k in ["f4_2x3", "i8_2x1x2", "b1_3", "u1_2x2"]}
    small["dense_1/kernel"] = arrays["f4_2x3"]
    write("npz_read", "savez.npz", npz(small))
    write("npz_read", "savez_compressed.npz", npz(small, compressed=True))
    write("npz_read", "stored.npz", stored_zip({k + ".npy": npy(v) for k, v in small.items()}))
    write("npz_read", "empty.npz", stored_zip({}))

    ckpt = {
        "dense/kernel": np.arange(6, dtype=np.float32).reshape(2, 3),
        "dense/bias": np.ones(3, dtype=np.float32),
        "step": np.array(42, dtype=np.int64),
        "opt/slot": np.linspace(0, 1, 5),
        "mask": np.array([[True, False], [False, True]]),
    }
    write("checkpoint_restore", "ckpt_stored.npz", stored_zip({k + ".npy": npy(v) for k, v in ckpt.items()}))
    write("checkpoint_restore", "ckpt_savez.npz", npz(ckpt))
    write("checkpoint_restore", "ckpt_compressed.npz", npz(ckpt, compressed=True))
    partial = dict(ckpt)
    del partial["mask"]
    write("checkpoint_restore", "ckpt_partial.npz", stored_zip({k + ".npy": npy(v) for k, v in partial.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
