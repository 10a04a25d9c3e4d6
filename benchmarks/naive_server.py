"""The baseline for benchmarks/service.py: the same network served naively, PyTorch eager in the handler.

Same architecture and input size as the shipped model (the weights do not change the speed).
Run by the benchmark as: python benchmarks/naive_server.py PORT
"""

from __future__ import annotations

import sys
from typing import Annotated

import numpy as np
import torch
import uvicorn
from fastapi import FastAPI, File, UploadFile

from zerowaste.model.image_io import decode_image
from zerowaste.model.preprocess import preprocess
from zerowaste.model.pretrained import pretrained
from zerowaste.model.taxonomy import LABELS

app = FastAPI()
torch.set_num_threads(2)
model = pretrained(len(LABELS)).eval()


@app.post("/v1/classify")
def classify(file: Annotated[UploadFile, File()]) -> dict[str, object]:
    image = decode_image(file.file.read())
    with torch.inference_mode():
        waste, _ = model(torch.from_numpy(preprocess(image)[None]))
    probs = torch.softmax(waste, 1)[0].numpy()
    i = int(np.argmax(probs))
    return {"label": LABELS[i], "confidence": float(probs[i])}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
