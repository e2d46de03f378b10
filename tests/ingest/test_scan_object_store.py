"""Scanning a bucket (moto's S3 server on localhost): one listing, the same rules as a folder."""

from __future__ import annotations

import hashlib

import pytest

from tests.servers import moto_server
from vtondata.config.cloth import PairingConfig
from vtondata.config.ingest import IngestConfig
from vtondata.errors import InputError
from vtondata.ingest.files import InputBytes, read_input
from vtondata.ingest.scan import scan_inputs
from vtondata.storage import locate, use_storage_options


@pytest.fixture(scope="module")
def bucket():
    with moto_server() as endpoint:
        use_storage_options({"endpoint_url": endpoint, "key": "testing", "secret": "testing"})
        try:
            location = locate("s3://scan-test")
            location.fs.mkdir(location.root)
            yield location
        finally:
            use_storage_options({})


def test_a_bucket_scans_like_a_folder(bucket):
    fs = bucket.fs
    fs.pipe_file(bucket.path("raw/b/two.jpg"), b"second photo")
    fs.pipe_file(bucket.path("raw/a.JPG"), b"first photo")
    fs.pipe_file(bucket.path("raw/copy.png"), b"first photo")
    fs.pipe_file(bucket.path("raw/empty.jpg"), b"")
    fs.pipe_file(bucket.path("raw/big.jpg"), b"x" * 2000)
    fs.pipe_file(bucket.path("raw/notes.txt"), b"not an image")
    fs.pipe_file(bucket.path("raw/.hidden/h.jpg"), b"hidden")
    items = scan_inputs("s3://scan-test/raw", IngestConfig(max_file_bytes=1000))
    assert [item.source_path for item in items] == ["a.JPG", "b/two.jpg", "big.jpg", "copy.png", "empty.jpg"]
    by_path = {item.source_path: item for item in items}
    assert by_path["a.JPG"].source_abs == "s3://scan-test/raw/a.JPG"
    assert by_path["a.JPG"].sha256 == hashlib.sha256(b"first photo").hexdigest()
    assert by_path["copy.png"].rejection.code == "ingest.duplicate"
    assert by_path["empty.jpg"].rejection.code == "ingest.empty_file"
    assert by_path["big.jpg"].rejection.code == "ingest.too_large"
    assert by_path["big.jpg"].size_bytes == 2000
    assert by_path["b/two.jpg"].rejection is None


def test_missing_locations_and_objects_are_clear(bucket):
    with pytest.raises(InputError, match="not found"):
        scan_inputs("s3://scan-test/nothing-here", IngestConfig())
    with pytest.raises(InputError, match="needs a local raw folder"):
        scan_inputs("s3://scan-test/raw", IngestConfig(), pairing=PairingConfig(mode="naming"))
    gone = read_input("s3://scan-test/raw/gone.jpg", 1000)
    assert not isinstance(gone, InputBytes) and gone.code == "ingest.unreadable"
