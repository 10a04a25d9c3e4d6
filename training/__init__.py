"""Fine-tuning, calibration, evaluation, ONNX export and INT8 quantisation (needs the `train` extra)."""
