"""Artifact helpers of the client: write text/dicts/figures/images to a temp file and upload."""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = ["split_artifact_file", "temp_artifact", "write_dict", "write_figure", "write_image"]


def split_artifact_file(artifact_file: str) -> tuple[str | None, str]:
    """``"plots/cm.png"`` -> (``"plots"``, ``"cm.png"``)."""
    if not artifact_file or artifact_file.endswith("/"):
        raise InvalidParameterValue(
            f"Invalid artifact_file {artifact_file!r}: a file name is needed"
        )
    directory, name = posixpath.split(artifact_file.replace("\\", "/"))
    return (directory or None), name


@contextmanager
def temp_artifact(artifact_file: str) -> Iterator[tuple[str, str | None]]:
    """Yield (local file path to write, artifact directory) for ``artifact_file``."""
    directory, name = split_artifact_file(artifact_file)
    with tempfile.TemporaryDirectory(prefix="modelyard-") as tmp:
        yield os.path.join(tmp, name), directory


def write_dict(dictionary: Any, path: str) -> None:
    if path.endswith((".yaml", ".yml")):
        import yaml

        with open(path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(dictionary, fh, default_flow_style=False, sort_keys=False)
    else:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(dictionary, fh, indent=2, default=str)


def write_figure(figure: Any, path: str, save_kwargs: dict[str, Any] | None = None) -> None:
    kwargs = dict(save_kwargs or {})
    if hasattr(figure, "savefig"):  # matplotlib
        figure.savefig(path, **kwargs)
    elif hasattr(figure, "write_html") and path.endswith(".html"):  # plotly
        figure.write_html(path, **kwargs)
    elif hasattr(figure, "write_image"):
        figure.write_image(path, **kwargs)
    else:
        raise InvalidParameterValue(
            f"Unsupported figure type {type(figure).__name__} (field 'figure'): "
            "expected a matplotlib or plotly figure"
        )


def write_image(image: Any, path: str) -> None:
    if hasattr(image, "save") and not hasattr(image, "shape"):  # PIL image
        image.save(path)
        return
    import numpy as np
    from PIL import Image

    array = np.asarray(image)
    if array.dtype.kind == "f":
        if array.min() < 0 or array.max() > 1:
            raise InvalidParameterValue("Float images must have values in [0, 1] (field 'image')")
        array = (array * 255).round().astype(np.uint8)
    elif array.dtype != np.uint8:
        array = array.astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    Image.fromarray(array).save(path)
