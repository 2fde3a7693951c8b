#!/usr/bin/env python3
"""NumPy's side of tfx's .npy/.npz tests (tests/test_io_*.cpp).

  np_io.py check                 exit 0 when numpy imports
  np_io.py write DIR             write .npy/.npz files with NumPy into DIR (see write())
  np_io.py verify FILE...        load files (written by tfx) with NumPy; every array must hold
                                 pattern(dtype, shape); prints "ok <key> <dtype> <shape>" per array

Every array holds pattern(dtype, shape), the same formula as io_test::pattern<T>(i) in
tests/io/io_test_util.hpp, so that either side can check the other without a manifest.
"""
import os
import sys
import zipfile

DTYPES = ["float32", "float64", "int32", "int64", "bool", "uint8"]
SHAPES = [(), (5,), (2, 3), (2, 3, 4), (2, 1, 3, 2), (0, 3)]


def pattern(np, dtype, shape):
    i = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64)
    if dtype == "float32":
        v = (i * 0.25 - 3).astype(np.float32)
    elif dtype == "float64":
        v = i * 0.125 - 7.5
    elif dtype == "int32":
        v = (i * 7 - 11).astype(np.int32)
    elif dtype == "int64":
        v = i * 1000003 - 2**40
    elif dtype == "bool":
        v = i % 3 == 0
    elif dtype == "uint8":
        v = ((i * 37) % 256).astype(np.uint8)
    else:
        raise ValueError(dtype)
    return v.reshape(shape)


def shape_tag(shape):
    return "s" + "x".join(str(e) for e in shape)


def write(np, out):
    os.makedirs(out, exist_ok=True)
    arrays = {}
    for d in DTYPES:
        for s in SHAPES:
            a = pattern(np, d, s)
            name = f"{d}_{shape_tag(s)}"
            np.save(os.path.join(out, name + ".npy"), a)
            arrays[name] = a
    a = pattern(np, "float32", (2, 3))
    for v in [(1, 0), (2, 0), (3, 0)]:
        with open(os.path.join(out, f"v{v[0]}_float32_s2x3.npy"), "wb") as f:
            np.lib.format.write_array(f, a, version=v)
    np.save(os.path.join(out, "fortran_float32_s2x3.npy"), np.asfortranarray(a))
    np.save(os.path.join(out, "bigendian_float32_s2x3.npy"), a.astype(">f4"))
    np.save(os.path.join(out, "complex64_s3.npy"), np.zeros(3, dtype=np.complex64))
    np.save(os.path.join(out, "float16_s3.npy"), np.zeros(3, dtype=np.float16))
    np.save(os.path.join(out, "unicode_s3.npy"), np.array(["a", "bc", "def"]))
    np.save(os.path.join(out, "structured_s2.npy"), np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")]))
    arrays["dense_1/kernel"] = pattern(np, "float32", (3, 2))
    arrays["dense_1/bias"] = pattern(np, "float32", (2,))
    arrays["a/b/c/d"] = pattern(np, "int64", (4,))
    np.savez(os.path.join(out, "plain.npz"), **arrays)
    np.savez_compressed(os.path.join(out, "compressed.npz"), **arrays)
    # A bigger compressed array, so that inflate runs over many input chunks.
    np.savez_compressed(os.path.join(out, "big_compressed.npz"), big=pattern(np, "float64", (1000, 37)))


def verify(np, files):
    bad = 0
    for path in files:
        if path.endswith(".npz"):
            with zipfile.ZipFile(path) as z:
                broken = z.testzip()
                if broken is not None:
                    print(f"BAD {path}: zipfile.testzip() fails at member {broken}")
                    bad += 1
            with np.load(path) as z:
                items = [(k, z[k]) for k in z.files]
        else:
            items = [(os.path.basename(path)[:-4], np.load(path))]
        for key, a in items:
            want = pattern(np, str(a.dtype), a.shape) if str(a.dtype) in DTYPES else None
            if want is None or a.dtype != want.dtype or not np.array_equal(a, want):
                print(f"BAD {path}: {key}: {a.dtype} {a.shape} does not hold the pattern")
                bad += 1
            else:
                print(f"ok {key} {a.dtype} {shape_tag(a.shape)}")
    return 1 if bad else 0


def main():
    try:
        import numpy as np
    except ImportError:
        print("numpy is not installed (Debian: apt-get install python3-numpy)", file=sys.stderr)
        return 2
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "check":
        return 0
    if cmd == "write" and len(sys.argv) == 3:
        write(np, sys.argv[2])
        return 0
    if cmd == "verify" and len(sys.argv) > 2:
        return verify(np, sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
