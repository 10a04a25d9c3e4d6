"""On-device code (the `edge` extra: onnxruntime, OpenCV, numpy; never torch)."""
