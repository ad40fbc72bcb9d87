"""Builders of damaged and malicious files for the loader tests: zips whose directory says
what the test wants, zip bombs, ``.npy`` members with arbitrary headers."""

from __future__ import annotations

import io
import itertools
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    """``array`` as the bytes of a ``.npy`` file."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def npy_with_header(header: str | bytes, data: bytes = b"", version: bytes = b"\x01\x00") -> bytes:
    """A ``.npy`` file with exactly this header text (version 1.0 or 2.0 length field)."""
    text = header.encode("latin-1") if isinstance(header, str) else header
    length = struct.pack("<H" if version[0] == 1 else "<I", len(text))
    return b"\x93NUMPY" + version + length + text + data


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A well-formed zip of ``members``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class RawMember:
    """One member of :func:`raw_zip`: ``payload`` is written as is (already compressed for
    method 8); ``size``, ``crc`` and ``flags`` are what the headers declare."""

    name: str
    payload: bytes
    method: int = 0
    size: int | None = None
    crc: int | None = None
    flags: int = 0


def deflated_member(name: str, data: bytes) -> RawMember:
    """A correctly deflated member holding ``data``."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    payload = compressor.compress(data) + compressor.flush()
    return RawMember(name, payload, method=8, size=len(data), crc=zlib.crc32(data))


def raw_zip(members: list[RawMember]) -> bytes:
    """A zip written field by field with ``struct``, declaring whatever the members say."""
    out, directory = io.BytesIO(), b""
    for m in members:
        name = m.name.encode()
        size = len(m.payload) if m.size is None else m.size
        crc = zlib.crc32(m.payload) if m.crc is None else m.crc
        offset = out.tell()
        common = (m.flags, m.method, 0, 0, crc, len(m.payload), size, len(name))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *common, 0) + name + m.payload)
        directory += (
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *common, 0, 0, 0, 0, 0, offset) + name
        )
    start = out.tell()
    out.write(directory)
    count = len(members)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0))
    return out.getvalue()


def deflated_zeros(n_bytes: int, prefix: bytes = b"") -> bytes:
    """A raw deflate stream of ``prefix`` then ``n_bytes`` zero bytes (a multiple of 1 MiB),
    built in milliseconds: after a full flush deflate output does not depend on what came
    before, so one compressed MiB of zeros can be repeated."""
    block = 2**20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    zeros = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head + zeros * (n_bytes // block) + compressor.flush()


def float64_header(shape: tuple[int, ...]) -> str:
    """The header text NumPy writes for a float64 array of ``shape``."""
    return f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}".ljust(117) + "\n"


def model_description(sizes: list) -> dict[str, bytes]:
    """The members of a model file that describe it, without any parameter."""
    return {
        "format.npy": npy_bytes(np.array("mlpviz-model")),
        "version.npy": npy_bytes(np.array(1)),
        "layer_sizes.npy": npy_bytes(np.array(sizes)),
        "activations.npy": npy_bytes(np.array(["tanh"] * (len(sizes) - 2), dtype=np.str_)),
        "init.npy": npy_bytes(np.array("xavier")),
    }


def model_members(sizes: list[int], **changes: bytes) -> dict[str, bytes]:
    """The members of a model file for ``sizes`` (zero parameters), with ``changes`` applied."""
    members = model_description(sizes)
    for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes), start=1):
        members[f"W{index}.npy"] = npy_bytes(np.zeros((n_out, n_in)))
        members[f"b{index}.npy"] = npy_bytes(np.zeros(n_out))
    members.update(changes)
    return members


_LIMITED_RUN = """
import json, resource, sys, time
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
module, function = sys.argv[2].rsplit(".", 1)
load = getattr(__import__(module, fromlist=[function]), function)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    load(sys.argv[3])
    outcome, message = "returned", ""
except Exception as error:
    outcome, message = type(error).__name__, str(error)
seconds = time.perf_counter() - start
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"outcome": outcome, "message": message, "seconds": seconds, "kib": grown}))
"""


def load_in_limited_process(loader: str, path: Path, memory: int = 2**30) -> dict:
    """Call ``loader`` ("module.function") on ``path`` in a fresh Python whose address space
    is capped at ``memory`` bytes. Returns the exception type name ("returned" if none), its
    message, the seconds the call took and how many KiB the peak resident memory grew.
    Linux only (``RLIMIT_AS``, ``ru_maxrss`` in KiB)."""
    result = subprocess.run(
        [sys.executable, "-c", _LIMITED_RUN, str(memory), loader, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)
