"""The classifier: taxonomy, preprocessing, architecture, ONNX metadata and runtime.

Everything here except `architecture` and `pretrained` runs without torch, so the edge and the
service import it with onnxruntime, numpy and Pillow only.
"""
