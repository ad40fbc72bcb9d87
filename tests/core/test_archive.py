"""UntrustedArchive: damaged and crafted zips, arrays and JSON raise the caller's error type
with a short message, before any large allocation; write_archive round-trips."""

from __future__ import annotations

import contextlib
import json
import os
import string
import struct
import sys
import time
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpviz.core.archive import (
    MANIFEST,
    UntrustedArchive,
    check_regular_file,
    open_regular_file,
    write_archive,
)
from mlpviz.core.errors import DatasetError, MlpvizError
from tests.core.crafted_files import (
    RawMember,
    deflated_member,
    deflated_zeros,
    float64_header,
    npy_bytes,
    npy_with_header,
    raw_zip,
    zip_bytes,
)


class LoadError(MlpvizError):
    """The error type these tests hand to UntrustedArchive."""


def write(tmp_path, data: bytes, name: str = "test.zip"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def opened(tmp_path, data: bytes, **limits) -> UntrustedArchive:
    return UntrustedArchive(write(tmp_path, data), LoadError, **limits)


def refused(tmp_path, data: bytes, member: str | None = None, **read) -> str:
    """The message of the LoadError raised opening ``data`` (and reading ``member``)."""
    with pytest.raises(LoadError) as info, opened(tmp_path, data) as archive:
        if member is not None:
            reader = archive.read_json if member.endswith(".json") else archive.read_array
            reader(member, **read)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300
    return message


# --------------------------------------------------------------------------- round trip


def test_write_archive_round_trip(tmp_path):
    path = tmp_path / "session.mlpviz"
    manifest = {"version": 1, "name": "spiral ✓", "sizes": [2, 8, 3], "lr": 0.1, "none": None}
    arrays = {
        "X": np.arange(6.0).reshape(3, 2),
        "W": np.arange(6, dtype=np.float32).reshape(2, 3),
        "F": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "y": np.array([0, 1, 2]),
    }
    write_archive(path, manifest, arrays)
    with UntrustedArchive(path, LoadError) as archive:
        assert archive.names() == [MANIFEST, "X.npy", "W.npy", "F.npy", "y.npy"]
        assert archive.has("X.npy") and not archive.has("X")
        assert archive.read_json(MANIFEST) == manifest
        X = archive.read_array("X.npy", shape=(None, 2))
        W = archive.read_array("W.npy", shape=(2, 3))
        F = archive.read_array("F.npy")
        y = archive.read_array("y.npy", dtypes=("<i8",), shape=(3,))
    np.testing.assert_array_equal(X, arrays["X"])
    assert W.dtype == np.float32
    np.testing.assert_array_equal(F, arrays["F"])
    assert F.flags.c_contiguous and F.flags.writeable and F.flags.owndata
    assert y.tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["session.mlpviz"]


def test_write_archive_keeps_the_old_file_when_it_fails(tmp_path):
    path = write(tmp_path, b"old content", "session.mlpviz")
    with pytest.raises(ValueError):
        write_archive(path, {}, {"bad": np.array([{}], dtype=object)})
    with pytest.raises(ValueError):
        write_archive(path, {"x": float("nan")}, {})
    assert path.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["session.mlpviz"]


def test_text_arrays_need_a_size_free_dtype_entry(tmp_path):
    path = write(tmp_path, zip_bytes({"s.npy": npy_bytes(np.array(["tanh", "relu"]))}))
    with UntrustedArchive(path, LoadError) as archive:
        assert archive.read_array("s.npy", dtypes=("<U",), shape=(2,)).tolist() == ["tanh", "relu"]
        with pytest.raises(LoadError, match="dtype <U4; expected <f8 or <f4"):
            archive.read_array("s.npy")


def test_native_byte_order_is_accepted(tmp_path):
    data = npy_with_header(float64_header((2,)).replace("<f8", "=f8"), bytes(16))
    with opened(tmp_path, zip_bytes({"a.npy": data})) as archive:
        expected = ("<f8",) if sys.byteorder == "little" else (">f8",)
        assert archive.read_array("a.npy", dtypes=expected).tolist() == [0.0, 0.0]


# --------------------------------------------------------------------------- the file itself


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(LoadError, match=r"missing\.zip: no such file$"):
        UntrustedArchive(tmp_path / "missing.zip", LoadError)
    with pytest.raises(LoadError, match="is a folder"):
        UntrustedArchive(tmp_path, LoadError)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.timeout(10)  # opening a FIFO would block: a regression fails instead of hanging
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)
    with pytest.raises(LoadError, match="device, pipe or socket"):
        UntrustedArchive(fifo, LoadError)
    with pytest.raises(DatasetError, match="device, pipe or socket"):
        check_regular_file(fifo, DatasetError)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused(tmp_path):
    with pytest.raises(LoadError, match="device, pipe or socket"):
        UntrustedArchive("/dev/zero", LoadError)


def test_check_regular_file_accepts_files_and_links(tmp_path):
    path = write(tmp_path, b"x", "a.csv")
    (tmp_path / "link.csv").symlink_to(path)
    assert check_regular_file(tmp_path / "link.csv", DatasetError) == tmp_path / "link.csv"
    with open_regular_file(str(path), DatasetError) as handle:
        assert handle.read() == b"x"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not a zip"),
        (b"this is not a zip file at all", "not a zip"),
        (zip_bytes({"a.json": b"[1, 2]"})[:-30], "not a zip"),  # truncated: no end record
    ],
    ids=["empty", "text", "truncated"],
)
def test_not_a_zip(tmp_path, data, problem):
    assert problem in refused(tmp_path, data)


def test_truncated_member_data(tmp_path):
    data = zip_bytes({"a.npy": npy_bytes(np.arange(1000.0))})
    cut = data[:200] + data[-200:]  # the directory survives, the member's data does not
    assert "a.npy" in refused(tmp_path, cut, "a.npy")


# --------------------------------------------------------------------------- the directory


def test_a_member_claiming_gigabytes_is_refused_from_the_directory(tmp_path):
    data = raw_zip([RawMember("W1.npy", npy_bytes(np.zeros(3)), size=3 * 2**30)])
    start = time.perf_counter()
    message = refused(tmp_path, data)
    assert "W1.npy" in message and "3221225472 bytes" in message
    assert time.perf_counter() - start < 0.5


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    bomb = deflated_zeros(8 * 2**20)  # 8 MiB of zeros in 8 KiB
    data = raw_zip([RawMember("a.npy", bomb, method=8, size=8 * 2**20, crc=0)])
    with pytest.raises(LoadError, match=r"'a.npy' unpacks to 8388608 bytes; at most 1048576"):
        opened(tmp_path, data, max_member_bytes=2**20)


def test_an_impossible_compression_ratio_is_refused(tmp_path):
    data = raw_zip([RawMember("a.npy", deflated_zeros(0), method=8, size=10**8, crc=0)])
    assert "impossible compression ratio" in refused(tmp_path, data)


def test_genuine_all_zero_arrays_still_load(tmp_path):
    # Deflate packs zeros about 1028:1: the ratio check must leave such files alone.
    path = tmp_path / "zeros.mlpviz"
    write_archive(path, {}, {"m": np.zeros(2**20)})
    with UntrustedArchive(path, LoadError) as archive:
        assert not archive.read_array("m.npy").any()


def test_total_size_is_bounded(tmp_path):
    members = {name: bytes(1000) for name in ("a", "b", "c")}
    with pytest.raises(LoadError, match="unpacks to 3000 bytes; at most 2500"):
        opened(tmp_path, zip_bytes(members), max_total_bytes=2500)


def test_member_count_is_bounded(tmp_path):
    members = {f"m{i}": b"" for i in range(10)}
    with pytest.raises(LoadError, match="holds 10 members; at most 4 allowed"):
        opened(tmp_path, zip_bytes(members), max_members=4)


def test_a_huge_directory_is_refused_before_zipfile_parses_it(tmp_path):
    members = [RawMember(f"m{i:05}", b"") for i in range(5000)]
    with pytest.raises(LoadError, match="zip directory is too large"):
        opened(tmp_path, raw_zip(members), max_members=4)


def test_duplicate_member_names_are_refused(tmp_path):
    data = raw_zip([RawMember("a", b"1"), RawMember("a", b"2")])
    assert "same name" in refused(tmp_path, data)


def test_encrypted_members_are_refused(tmp_path):
    data = raw_zip([RawMember("a.npy", b"secret", flags=0x1)])
    assert "'a.npy' is encrypted" in refused(tmp_path, data)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA, 99])
def test_other_compression_methods_are_refused(tmp_path, method):
    data = raw_zip([RawMember("a.npy", b"packed", method=method)])
    assert "unsupported compression method" in refused(tmp_path, data)


def test_corrupt_compressed_data_is_reported(tmp_path):
    data = bytearray(zip_bytes({"a.json": b"[" * 1000 + b"]" * 1000}, zipfile.ZIP_DEFLATED))
    data[40:44] = b"\xff\xff\xff\xff"
    assert "a.json" in refused(tmp_path, bytes(data), "a.json")


def test_member_names_in_messages_are_cut_and_escaped(tmp_path):
    name = "\x1b[31m" + "x" * 500
    message = refused(tmp_path, raw_zip([RawMember(name, b"", flags=0x1)]))
    assert "\x1b" not in message and "x" * 61 not in message and "…" in message


# --------------------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"{'single': 'quotes'}", "cannot be read"),
        (b"[1, NaN]", "NaN is not a JSON number"),
        (b'{"x": -Infinity}', "Infinity is not a JSON number"),
        (b"[" * 100_000 + b"]" * 100_000, "cannot be read"),  # nesting beyond the stack
        (b"1" * 5000, "cannot be read"),  # beyond Python's digit limit
        (b" " * 200, "cannot be read"),
    ],
    ids=["utf8", "quotes", "nan", "infinity", "nesting", "digits", "blank"],
)
def test_bad_json_is_refused(tmp_path, content, problem):
    data = zip_bytes({"m.json": content}, zipfile.ZIP_DEFLATED)
    message = refused(tmp_path, data, "m.json")
    assert problem in message and "'m.json'" in message


def test_json_size_is_bounded_whatever_the_directory_declares(tmp_path):
    text = json.dumps(list(range(1000))).encode()
    assert "larger than 100 bytes" in refused(
        tmp_path, zip_bytes({"m.json": text}), "m.json", max_bytes=100
    )


def test_a_missing_member_is_named(tmp_path):
    assert "'other.json' is missing" in refused(tmp_path, zip_bytes({"m": b""}), "other.json")


# --------------------------------------------------------------------------- arrays


def header_case(header: str, data: bytes = b"", **kwargs):
    return zip_bytes({"a.npy": npy_with_header(header, data, **kwargs)})


BAD_ARRAYS = [
    (header_case(float64_header((10**12,))), {}, "holds 1000000000000 values; at most"),
    (header_case(float64_header((0, 2**30, 2**30))), {}, "holds 0 values; at most"),
    (header_case(float64_header((10**6,))), {"max_elements": 10**7}, "does not hold the data"),
    (header_case(float64_header((4,)), bytes(16)), {}, "does not hold the data"),
    (header_case(float64_header((3, 2)), bytes(48)), {"shape": (2, 3)}, "shape (3, 2); exp"),
    (header_case(float64_header((6,)), bytes(48)), {"shape": (6, 1)}, "expected (6, 1)"),
    (header_case(float64_header((6,)), bytes(48)), {"shape": (None, 2)}, "expected (any, 2)"),
    (header_case(float64_header((6,)), bytes(48)), {"dtypes": ("<i8",)}, "dtype <f8; exp"),
    (header_case(float64_header((2,)).replace("<f8", ">f8"), bytes(16)), {}, "dtype >f8"),
    (header_case(float64_header((2,)).replace("<f8", "<M8"), bytes(16)), {}, "unsupported"),
    (header_case(float64_header((2,)).replace("<f8", "<f3"), bytes(16)), {}, "unknown dtype"),
    (header_case(float64_header((2,)).replace("(2,)", "(-2,)")), {}, "invalid .npy header"),
    (header_case(float64_header((2,)).replace("(2,)", "(True,)")), {}, "invalid .npy header"),
    (header_case(float64_header((2,)).replace("False", "0")), {}, "invalid .npy header"),
    (header_case("[1, 2, 3]"), {}, "invalid .npy header"),
    (header_case("__import__('os').system('echo owned')"), {}, "invalid .npy header"),
    (header_case("{'descr': '<f8', 'shape': (1,)}"), {}, "invalid .npy header"),
    (header_case("{" * 4000), {}, "invalid .npy header"),
    (header_case("-" * 4000 + "1"), {}, "invalid .npy header"),
    (header_case("x" * 4097), {}, "header of 4097 bytes"),
    (
        zip_bytes({"a.npy": b"\x93NUMPY\x02\x00" + struct.pack("<I", 4000) + b"{}"}),
        {},
        "is truncated",
    ),
    (
        zip_bytes({"a.npy": b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**32 - 1)}),
        {},
        "header of 4294967295 bytes",
    ),
    (zip_bytes({"a.npy": npy_with_header("x", version=b"\x02\x00")[:-1]}), {}, "is truncated"),
    (header_case("{}", version=b"\x09\x00"), {}, "unknown .npy version 9.0"),
    (zip_bytes({"a.npy": b"PK not numpy at all"}), {}, "is not a .npy array"),
    (zip_bytes({"a.npy": b"\x93NUM"}), {}, "is truncated"),
]


@pytest.mark.parametrize(
    ("data", "read", "problem"), BAD_ARRAYS, ids=[case[-1] for case in BAD_ARRAYS]
)
def test_bad_arrays_are_refused(tmp_path, data, read, problem):
    message = refused(tmp_path, data, "a.npy", **read)
    assert problem in message and "'a.npy'" in message


def test_object_arrays_are_refused_not_unpickled(tmp_path):
    data = npy_bytes(np.array([{"x": 1}, None], dtype=object), allow_pickle=True)
    assert "unsupported dtype '|O'" in refused(tmp_path, zip_bytes({"a.npy": data}), "a.npy")


def test_structured_arrays_are_refused(tmp_path):
    data = npy_bytes(np.zeros(3, dtype=[("a", "<f8"), ("b", "<i4")]))
    assert "unsupported dtype" in refused(tmp_path, zip_bytes({"a.npy": data}), "a.npy")


# --------------------------------------------------------------------------- fuzzing

NAMES = st.text(string.printable, max_size=12) | st.sampled_from(["a.npy", MANIFEST, "W1.npy"])
DESCRS = st.sampled_from(["<f8", "<f4", "|u1", "<U3", "|O", "<i8", "f8,f8", "", "<f16"]) | st.text(
    max_size=8
)
SHAPES = st.lists(st.integers(-2, 2**40) | st.booleans() | st.floats(), max_size=4).map(tuple)
HEADERS = st.builds(
    lambda descr, order, shape: repr({"descr": descr, "fortran_order": order, "shape": shape}),
    DESCRS,
    st.booleans() | st.integers(0, 2) | st.none(),
    SHAPES | st.integers(),
)
NPY = st.builds(
    lambda header, data, version: npy_with_header(
        header.encode("latin-1", "replace"), data, version
    ),
    HEADERS | st.text(max_size=40),
    st.binary(max_size=64),
    st.sampled_from([b"\x01\x00", b"\x02\x00", b"\x03\x00"]),
)
MEMBERS = st.lists(
    st.builds(
        lambda name, data, deflate: (
            deflated_member(name, data) if deflate else RawMember(name, data)
        ),
        NAMES,
        NPY | st.binary(max_size=64),
        st.booleans(),
    ),
    max_size=4,
)


def check_every_member(path) -> None:
    """Open ``path`` and read every member both ways; only LoadError may escape."""
    try:
        with UntrustedArchive(path, LoadError) as archive:
            for name in archive.names():
                for read in (archive.read_array, archive.read_json):
                    with contextlib.suppress(LoadError):
                        read(name)
    except LoadError:
        pass


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_fuzz_random_bytes(fuzz_dir, data):
    check_every_member(write(fuzz_dir, data))


@settings(max_examples=200, deadline=None)
@given(members=MEMBERS)
def test_fuzz_random_members_and_npy_headers(fuzz_dir, members):
    check_every_member(write(fuzz_dir, raw_zip(members)))


VALID = zip_bytes({"a.npy": npy_bytes(np.arange(5.0)), MANIFEST: b'{"a": [1]}'})


@settings(max_examples=200, deadline=None)
@given(flips=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1))
def test_fuzz_damaged_archives(fuzz_dir, flips):
    damaged = bytearray(VALID)
    for position, value in flips:
        damaged[position] = value
    check_every_member(write(fuzz_dir, bytes(damaged)))


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=50, deadline=None)  # write_archive fsyncs: a few ms an example
@given(manifest=st.dictionaries(st.text(), JSON, max_size=5))
def test_fuzz_json_round_trip(fuzz_dir, manifest):
    path = fuzz_dir / "s.mlpviz"
    write_archive(path, manifest, {})
    with UntrustedArchive(path, LoadError) as archive:
        assert archive.read_json(MANIFEST) == manifest


@settings(max_examples=200, deadline=None)
@given(content=st.binary(max_size=60) | JSON.map(lambda value: json.dumps(value).encode()))
def test_fuzz_json_member(fuzz_dir, content):
    with (
        opened(fuzz_dir, zip_bytes({"m.json": content})) as archive,
        contextlib.suppress(LoadError),
    ):
        archive.read_json("m.json")
