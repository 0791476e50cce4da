#!/usr/bin/env python3
"""Derive the embedding model Errand runs from the one the wheel ships.

The wheel's MiniLM stores int8 weights that ONNX Runtime turns back into
floats, so every matrix product runs in float. Here the weights are folded to
floats once (ONNX Runtime's basic optimisations) and the matrix products are
re-quantized dynamically, per output channel: at run time ONNX Runtime
quantizes each input to int8 and multiplies in integers (VNNI), about twice as
fast. The output is byte-for-byte reproducible with the pinned packages in
.ci/quantize-requirements.txt; fetch_models.py checks it against models.json.
Usage: quantize_model.py SOURCE.onnx DEST.onnx
"""
import logging
import os
import sys
import tempfile

import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic


def main():
    source, dest = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        folded = os.path.join(tmp, "folded.onnx")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = folded
        ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        # It logs advice to run a pre-processing pass first; the output is
        # pinned by SHA-256 and measured by `errand eval retrieval` without one.
        logging.getLogger().setLevel(logging.ERROR)
        quantize_dynamic(folded, dest, weight_type=QuantType.QInt8, per_channel=True)


if __name__ == "__main__":
    main()
