"""The PyTorch half of `npm run oml:roundtrip`: a small extractor written the way OML's are (an nn.Module with
`extract` and `feat_dim`, L2-normalised output like OML's `normalise_features`), exported to ONNX as an exported
experiment's export_onnx.py does, and its embeddings of the images with OML's validation transforms (ToTensor, then
ImageNet mean and std), written as a path -> vector predictions file. The images come as the raw RGB bytes the Node
side decoded (pixels.bin, N x SIZE x SIZE x 3, and names.json): both sides embed the same pixels.

usage: /usr/bin/python3 scripts/oml-roundtrip.py WORK_DIR SIZE     (Debian's python3-torch)
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn

torch.manual_seed(7)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)  # oml/const.py


class TinyExtractor(nn.Module):
    """Shaped like OML's ResnetExtractor: a conv trunk, average pooling, a projection, L2 normalisation."""

    def __init__(self, feat_dim=32):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        )
        self.proj = nn.Linear(32, feat_dim)
        self._feat_dim = feat_dim

    @property
    def feat_dim(self):
        return self._feat_dim

    def forward(self, x):
        f = self.trunk(x).mean(dim=(2, 3))
        return nn.functional.normalize(self.proj(f), dim=1)

    def extract(self, x):
        return self.forward(x)


def main():
    out, size = sys.argv[1], int(sys.argv[2])
    model = TinyExtractor()
    # Non-trivial batch-norm statistics, as a trained network has.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    model.eval()
    onnx = os.path.join(out, "extractor.onnx")
    torch.onnx.export(
        model, torch.randn(1, 3, size, size), onnx, input_names=["input"], output_names=["embeddings"],
        dynamic_axes={"input": {0: "batch"}, "embeddings": {0: "batch"}}, opset_version=17,
    )
    mean, std = torch.tensor(MEAN).view(3, 1, 1), torch.tensor(STD).view(3, 1, 1)
    predictions = {}
    files = json.load(open(os.path.join(out, "names.json")))
    raw = np.fromfile(os.path.join(out, "pixels.bin"), dtype=np.uint8).reshape(len(files), size, size, 3)
    with torch.no_grad():
        for name, pixels in zip(files, raw):
            x = (torch.from_numpy(pixels.astype(np.float32) / 255).permute(2, 0, 1) - mean) / std
            predictions[name] = model.extract(x[None])[0].tolist()
    with open(os.path.join(out, "torch-predictions.json"), "w") as f:
        json.dump(predictions, f)
    print(f"{onnx}: {len(files)} images embedded by PyTorch")


if __name__ == "__main__":
    main()
