"""Building from a bucket into a bucket on a two-node Ray cluster, losing a node, resuming.

Real servers, started here: moto's S3 server on localhost, and a Ray cluster
of a head node and a worker node on this machine (``ray.cluster_utils.Cluster``).
The worker node is removed while the build runs; whatever that does to the
run, a resumed build must give a dataset that ``verify`` accepts and whose
shards and index rows equal a local build of the same photos.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

import vtondata
from tests.photos import link_photos, real_photos
from tests.servers import moto_server
from vtondata.output.index import read_index
from vtondata.output.verify import verify_dataset
from vtondata.storage import locate, use_storage_options

pytestmark = pytest.mark.slow
OVERRIDES = {"output.chunk_size": "2"}
PHOTOS = 6


def _tar_digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((folder / "shards").glob("*.tar"))
    }


def _rows(folder: Path) -> list[dict]:
    """Index rows without the per-sample timings (the only column that depends on the clock)."""
    return read_index(folder).drop_columns(["timings_s"]).to_pylist()


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with moto_server() as endpoint:
        use_storage_options({"endpoint_url": endpoint, "key": "testing", "secret": "testing"})
        try:
            location = locate("s3://vtondata-test")
            location.fs.mkdir("vtondata-test")
            yield location
        finally:
            use_storage_options({})


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    return link_photos(tmp_path_factory.mktemp("raw"), real_photos()[:PHOTOS])


@pytest.fixture(scope="module")
def local_out(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "ds"
    vtondata.build(raw, out, "upper", "offline", OVERRIDES, runner="local")
    return out


def test_bucket_to_bucket_on_two_nodes_survives_losing_a_node(s3, raw, local_out, tmp_path):
    import ray
    from ray.cluster_utils import Cluster

    for photo in sorted(raw.iterdir()):
        s3.fs.put_file(str(photo.resolve()), f"vtondata-test/raw/{photo.name}")
    out_url = "s3://vtondata-test/out"

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    worker = cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, include_dashboard=False)
    removed = threading.Event()

    def lose_the_worker_node(record) -> None:
        if not removed.is_set():
            removed.set()
            cluster.remove_node(worker, allow_graceful=False)

    try:
        cluster.wait_for_nodes()
        try:
            vtondata.build(
                "s3://vtondata-test/raw",
                out_url,
                "upper",
                "offline",
                OVERRIDES,
                runner="ray",
                workers=1,
                on_chunk_done=lose_the_worker_node,
            )
        except Exception as error:  # losing a node may fail the run; the resume below must repair it
            print(f"first run ended with {type(error).__name__}: {error}")
        assert removed.is_set(), "the build ended before a chunk was done"
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        result = vtondata.build(
            "s3://vtondata-test/raw", out_url, "upper", "offline", OVERRIDES, runner="ray", workers=1
        )
    finally:
        ray.shutdown()
        cluster.shutdown()

    assert result.inputs == PHOTOS and result.accepted + result.rejected == PHOTOS
    assert result.resumed_chunks >= 1
    copy = vtondata.output.reader.dataset_folder(out_url)
    report = verify_dataset(copy)
    assert report.ok, report.problems
    assert _tar_digests(copy) == _tar_digests(local_out)
    assert _rows(copy) == _rows(local_out)
    manifest = json.loads(s3.fs.cat_file("vtondata-test/out/manifest.json"))
    local_manifest = json.loads((local_out / "manifest.json").read_bytes())
    assert manifest["shards"] == local_manifest["shards"]
    assert manifest["inputs_sha256"] == local_manifest["inputs_sha256"]
    assert s3.fs.exists("vtondata-test/out/report.html")
    assert not s3.fs.exists("vtondata-test/out/.vtondata.lock")
