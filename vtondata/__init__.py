"""vtondata: photos of dressed people in, virtual try-on training datasets out.

Importing this package loads no model and starts no Ray: model libraries are
imported by the backend a recipe chooses, Ray by the Ray runner, when a build
runs.
"""

__version__ = "0.1.0"

from vtondata.api import BuildResult, build, process_image
from vtondata.config import load_recipe
from vtondata.output.reader import Dataset, SampleRecord, open
from vtondata.sample import Category, Rejection, Sample

__all__ = [
    "BuildResult",
    "Category",
    "Dataset",
    "Rejection",
    "Sample",
    "SampleRecord",
    "__version__",
    "build",
    "load_recipe",
    "open",
    "process_image",
]
