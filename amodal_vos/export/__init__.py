"""Exports of the model to other runtimes: ONNX graphs of the per-frame pieces (``export_onnx``, ``check_graphs``).

Importing this package needs only torch; onnx, onnxscript and onnxruntime are imported when used
(``pip install amodal-vos[onnx]``).
"""

from amodal_vos.export.check import check_graphs
from amodal_vos.export.exporter import export_onnx, require_onnx
from amodal_vos.export.specs import Sizes

__all__ = ["Sizes", "check_graphs", "export_onnx", "require_onnx"]
