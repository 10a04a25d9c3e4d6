"""zerowaste: recognise discarded items and say where they go in Wuppertal, reuse first."""

import os

__version__ = "0.1.0"

# Nothing leaves the machine: ONNX Runtime's POSIX builds (1.32 here) keep a device id and queue
# telemetry events under ~/.cache/Microsoft/DeveloperTools from the first import on, to upload them
# when a network is there. The switches must be in the environment before onnxruntime is imported,
# and every entry point (CLI, uvicorn app, benchmarks, tests) imports this package first.
# ORT_TELEMETRY_DISABLED / ORT_DISABLE_TELEMETRY are the documented opt-outs of later releases; 1.32
# honours only the switch ORT's own test harness sets, which stops the provider before it writes.
# setdefault: an operator who wants telemetry can still export the variables as 0.
for _name in ("ORT_TELEMETRY_DISABLED", "ORT_DISABLE_TELEMETRY", "ORT_RUNNING_UNIT_TESTS"):
    os.environ.setdefault(_name, "1")
