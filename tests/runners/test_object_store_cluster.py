"""Building from a bucket into a bucket on a two-node Ray cluster, losing a node and the driver, resuming.

Real servers, started here: moto's S3 server on localhost, and a Ray cluster
of a head node and a worker node on this machine (``ray.cluster_utils.Cluster``).
Once the first chunk is in the bucket the worker node is removed and the
driver (``vtondata build`` in its own process) is killed; a node joins again
and a second build resumes. Its dataset must pass ``verify`` and its shards and
index rows must equal a local build of the same photos.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import vtondata
from tests.photos import link_photos, real_photos
from tests.servers import moto_server
from vtondata.output.index import read_index
from vtondata.output.reader import dataset_folder
from vtondata.output.verify import verify_dataset
from vtondata.storage import STORAGE_OPTIONS_ENV, locate, use_storage_options

pytestmark = pytest.mark.slow
OVERRIDES = {"output.chunk_size": "1"}
PHOTOS = 6
BUCKET = "s3://vtondata-test"


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
    cache = os.environ.get("VTONDATA_CACHE")
    os.environ["VTONDATA_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    with moto_server() as endpoint:
        use_storage_options({"endpoint_url": endpoint, "key": "testing", "secret": "testing"})
        try:
            location = locate(BUCKET)
            location.fs.mkdir(location.root)
            yield location
        finally:
            use_storage_options({})
            if cache is None:
                os.environ.pop("VTONDATA_CACHE")
            else:
                os.environ["VTONDATA_CACHE"] = cache


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    return link_photos(tmp_path_factory.mktemp("raw"), real_photos()[:PHOTOS])


@pytest.fixture(scope="module")
def local_out(raw, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "ds"
    vtondata.build(raw, out, "upper", "offline", OVERRIDES, runner="local")
    return out


def _build_command(endpoint: str, address: str) -> list[str]:
    options = json.dumps({"endpoint_url": endpoint, "key": "testing", "secret": "testing"})
    return [
        sys.executable, "-m", "vtondata", "--storage-options", options, "build",
        f"{BUCKET}/raw", f"{BUCKET}/out", "--category", "upper", "--pipeline", "offline",
        "--set", "output.chunk_size=1", "--runner", "ray", "--workers", "1", "--ray-address", address,
        "--quiet",
    ]  # fmt: skip


def _forget_address_file(address: str) -> None:
    """The test cluster writes its address where a plain ``ray.init()`` on this machine would find and
    join it; other builds running here must keep starting their own Ray."""
    from ray._private.utils import get_ray_address_file

    address_file = Path(get_ray_address_file(None))
    if address_file.is_file() and address_file.read_text().strip() == address:
        address_file.unlink()


def _markers(s3) -> int:
    s3.fs.invalidate_cache()
    folder = s3.path("out/chunks")
    return len(s3.fs.ls(folder)) if s3.fs.exists(folder) else 0


def test_bucket_to_bucket_on_two_nodes_survives_losing_a_node_and_the_driver(s3, raw, local_out):
    from ray.cluster_utils import Cluster

    for photo in sorted(raw.iterdir()):
        s3.fs.put_file(str(photo.resolve()), s3.path(f"raw/{photo.name}"))
    endpoint = json.loads(os.environ[STORAGE_OPTIONS_ENV])["endpoint_url"]
    # Two CPUs per node: every model actor and a task fit on one node, whichever node is lost.
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2})
    _forget_address_file(cluster.address)
    try:
        worker = cluster.add_node(num_cpus=2)
        cluster.wait_for_nodes()
        driver = subprocess.Popen(
            _build_command(endpoint, cluster.address), start_new_session=True, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and driver.poll() is None and _markers(s3) < 1:
            time.sleep(0.2)
        assert driver.poll() is None, driver.stderr.read().decode() if driver.stderr else ""
        assert _markers(s3) >= 1, "no chunk was finished in time"
        cluster.remove_node(worker, allow_graceful=False)
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait()
        done_at_kill = _markers(s3)
        assert 1 <= done_at_kill < PHOTOS

        cluster.add_node(num_cpus=2)
        cluster.wait_for_nodes()
        # A worker on the surviving node may still finish the chunk it was writing after the
        # driver died: every chunk whose marker exists when the build starts again is kept.
        done_at_resume = _markers(s3)
        result = vtondata.build(
            f"{BUCKET}/raw", f"{BUCKET}/out", "upper", "offline", OVERRIDES,
            runner="ray", workers=1, ray_address=cluster.address,
        )  # fmt: skip
    finally:
        cluster.shutdown()

    assert result.inputs == PHOTOS and result.accepted + result.rejected == PHOTOS
    assert done_at_kill <= done_at_resume == result.resumed_chunks
    copy = dataset_folder(f"{BUCKET}/out")
    report = verify_dataset(copy)
    assert report.ok, report.problems
    assert _tar_digests(copy) == _tar_digests(local_out)
    assert _rows(copy) == _rows(local_out)
    manifest = json.loads(s3.fs.cat_file(s3.path("out/manifest.json")))
    local_manifest = json.loads((local_out / "manifest.json").read_bytes())
    assert manifest["shards"] == local_manifest["shards"]
    assert manifest["inputs_sha256"] == local_manifest["inputs_sha256"]
    assert s3.fs.exists(s3.path("out/report.html"))
    assert not s3.fs.exists(s3.path("out/.vtondata.lock"))
