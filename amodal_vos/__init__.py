"""amodal-vos: track objects through video and predict their amodal (whole-shape) masks with SAM-2 + SCA."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("amodal-vos")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

try:
    import sam2  # noqa: F401  (fails early with the install line, rather than deep inside a model build)
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "amodal-vos needs the sam2 package: SAM2_BUILD_CUDA=0 pip install --no-build-isolation --no-deps sam2==1.1.0"
    ) from err
