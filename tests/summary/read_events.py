#!/usr/bin/env python3
"""Reads a TensorBoard event file with code that is not tfx's: TFRecord framing and CRC-32C
checked here (a CRC-32C written from its definition), the Event protos parsed by Python's protobuf
from event.proto/summary.proto beside this script, compiled with protoc into a temporary directory.

    read_events.py EVENTFILE   prints one tab-separated line per event (below); exit 1 on any
                               framing, CRC or parse error, with the reason on stderr
    read_events.py --check     exit 0 if protoc and the protobuf module are there, 77 if not

Lines: file_version WALL_TIME VERSION | scalar STEP TAG VALUE |
       histo STEP TAG MIN MAX NUM SUM SUM_SQUARES NBUCKETS, then one "bucket LIMIT COUNT" line per bucket |
       text STEP TAG PLUGIN DATA_CLASS DTYPE RANK HEX(TEXT) .
Numbers are printed with repr(), which reads back to the same double.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MISSING = 77


def crc32c_table():
    table = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = (c >> 8) ^ TABLE[(c ^ b) & 0xFF]
    return c ^ 0xFFFFFFFF


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def records(blob):
    pos, n = 0, 0
    while pos < len(blob):
        if len(blob) - pos < 12:
            raise ValueError(f"record {n}: truncated header at byte {pos}")
        header = blob[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", blob[pos + 8:pos + 12])
        if length_crc != masked(crc32c(header)):
            raise ValueError(f"record {n}: length crc mismatch at byte {pos}")
        start = pos + 12
        if len(blob) - start < length + 4:
            raise ValueError(f"record {n}: truncated data at byte {start}")
        data = blob[start:start + length]
        (data_crc,) = struct.unpack("<I", blob[start + length:start + length + 4])
        if data_crc != masked(crc32c(data)):
            raise ValueError(f"record {n}: data crc mismatch at byte {start}")
        yield data
        pos = start + length + 4
        n += 1


def default_bucket_limits():
    pos, v = [], 1.0e-12
    while v < 1.0e20:
        pos.append(v)
        v *= 1.1
    pos.append(sys.float_info.max)
    return [-x for x in reversed(pos)] + [0.0] + pos


def load_protos(tmp):
    protoc = shutil.which("protoc")
    if protoc is None:
        raise ImportError("protoc not found")
    subprocess.run([protoc, "-I", HERE, "--python_out", tmp,
                    os.path.join(HERE, "summary.proto"), os.path.join(HERE, "event.proto")],
                   check=True)
    sys.path.insert(0, tmp)
    import event_pb2  # noqa: E402 (generated just now)
    return event_pb2


def main(argv):
    if len(argv) == 2 and argv[1] == "--check":
        try:
            import google.protobuf  # noqa: F401
        except ImportError:
            return MISSING
        return 0 if shutil.which("protoc") else MISSING
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        try:
            event_pb2 = load_protos(tmp)
        except ImportError as e:
            print(f"read_events: {e}", file=sys.stderr)
            return MISSING
        with open(argv[1], "rb") as f:
            blob = f.read()
        edges = set(default_bucket_limits())
        out = []
        try:
            for i, data in enumerate(records(blob)):
                ev = event_pb2.Event()
                ev.ParseFromString(data)
                kind = ev.WhichOneof("what")
                if i == 0:
                    if kind != "file_version":
                        raise ValueError("the first event has no file_version")
                    out.append(f"file_version\t{ev.wall_time!r}\t{ev.file_version}")
                    continue
                if kind != "summary":
                    raise ValueError(f"event {i}: expected a summary, got {kind}")
                for v in ev.summary.value:
                    which = v.WhichOneof("value")
                    if which == "simple_value":
                        out.append(f"scalar\t{ev.step}\t{v.tag}\t{v.simple_value!r}")
                    elif which == "histo":
                        h = v.histo
                        if len(h.bucket_limit) != len(h.bucket):
                            raise ValueError(f"event {i}: bucket_limit and bucket differ in length")
                        if any(a >= b for a, b in zip(h.bucket_limit, h.bucket_limit[1:])):
                            raise ValueError(f"event {i}: bucket limits are not increasing")
                        if not set(h.bucket_limit) <= edges:
                            raise ValueError(f"event {i}: a bucket limit is not a default edge")
                        if sum(h.bucket) != h.num:
                            raise ValueError(f"event {i}: bucket counts do not add up to num")
                        out.append(f"histo\t{ev.step}\t{v.tag}\t{h.min!r}\t{h.max!r}\t{h.num!r}\t"
                                   f"{h.sum!r}\t{h.sum_squares!r}\t{len(h.bucket)}")
                        out.extend(f"bucket\t{lim!r}\t{c!r}" for lim, c in zip(h.bucket_limit, h.bucket))
                    elif which == "tensor":
                        t = v.tensor
                        text = b"".join(t.string_val)
                        out.append(f"text\t{ev.step}\t{v.tag}\t{v.metadata.plugin_data.plugin_name}\t"
                                   f"{v.metadata.data_class}\t{t.dtype}\t{len(t.tensor_shape.dim)}\t{text.hex()}")
                    else:
                        raise ValueError(f"event {i}: unexpected value kind {which}")
        except Exception as e:  # framing, CRC and protobuf's DecodeError alike
            print(f"read_events: {argv[1]}: {e}", file=sys.stderr)
            return 1
        print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
