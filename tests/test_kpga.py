"""Kernel-gradient aggregation: per-image gradients, batch independence, thread safety."""

from __future__ import annotations

import threading

import pytest
import torch
import torch.nn as nn

from fgir.gradients import aggregate_kernel_gradient, per_sample_kernel_gradient


@pytest.mark.parametrize("stride,padding,kernel", [(1, 0, 1), (1, 1, 3), (2, 1, 3)])
def test_kernel_gradient_matches_autograd(stride: int, padding: int, kernel: int) -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, kernel, stride=stride, padding=padding, bias=False)
    inputs = torch.randn(2, 3, 5, 5)
    target = torch.randn_like(conv(inputs))

    outputs = conv(inputs)
    loss_per_image = ((outputs - target) ** 2).sum(dim=(1, 2, 3))
    (output_gradient,) = torch.autograd.grad(loss_per_image.sum(), outputs)
    batched = per_sample_kernel_gradient(conv, inputs, output_gradient)

    for image in range(2):
        conv.zero_grad()
        single = ((conv(inputs[image : image + 1]) - target[image : image + 1]) ** 2).sum()
        (expected,) = torch.autograd.grad(single, conv.weight)
        assert torch.allclose(batched[image], expected.flatten(1), atol=1e-5)


def test_kernel_gradient_by_hand() -> None:
    # One 1x1 conv, one input channel, two positions: dL/dW = sum_p dL/dY_p * X_p = 1*2 + 3*4 = 14.
    conv = nn.Conv2d(1, 1, 1, bias=False)
    inputs = torch.tensor([[[[2.0, 4.0]]]])
    output_gradient = torch.tensor([[[[1.0, 3.0]]]])
    gradient = per_sample_kernel_gradient(conv, inputs, output_gradient)
    assert gradient.shape == (1, 1, 1)
    assert gradient.item() == pytest.approx(14.0)


def test_aggregation_sums_magnitudes() -> None:
    gradient = torch.tensor([[[1.0, -2.0, 3.0], [-0.5, 0.5, 0.0]]])
    assert aggregate_kernel_gradient(gradient).tolist() == [[6.0, 1.0]]


def test_grouped_conv_is_rejected() -> None:
    conv = nn.Conv2d(4, 4, 3, groups=4)
    with pytest.raises(ValueError, match="groups=1"):
        per_sample_kernel_gradient(conv, torch.randn(1, 4, 5, 5), torch.randn(1, 4, 3, 3))


@pytest.fixture(scope="module")
def backbone_and_images():
    skimage_data = pytest.importorskip("skimage.data", reason="scikit-image provides the sample photos")
    from PIL import Image

    from fgir.backbones import build_backbone

    backbone = build_backbone("mobilenet_v2")
    photos = [skimage_data.astronaut(), skimage_data.chelsea(), skimage_data.coffee(), skimage_data.rocket()]
    images = torch.stack([backbone.preprocess(Image.fromarray(photo).convert("RGB")) for photo in photos])
    return backbone, images


def test_descriptor_independent_of_batch(backbone_and_images) -> None:
    from fgir.methods import create_method

    backbone, images = backbone_and_images
    method = create_method("kpga")
    batched = method.describe(backbone, images).descriptors
    for index in range(len(images)):
        alone = method.describe(backbone, images[index : index + 1]).descriptors[0]
        assert torch.allclose(batched[index], alone, atol=1e-4), f"image {index} changed with its batch"


def test_describe_leaves_no_parameter_gradients(backbone_and_images) -> None:
    from fgir.methods import create_method

    backbone, images = backbone_and_images
    create_method("kpga").describe(backbone, images[:2])
    assert all(parameter.grad is None for parameter in backbone.extractor.parameters())
    assert not backbone.extractor.training


def test_concurrent_queries_match_sequential(backbone_and_images) -> None:
    from fgir.methods import create_method

    backbone, images = backbone_and_images
    method = create_method("kpga")
    sequential = [method.describe(backbone, images[index : index + 1]).descriptors[0] for index in range(2)]

    concurrent: dict[int, torch.Tensor] = {}
    barrier = threading.Barrier(2)

    def worker(index: int) -> None:
        barrier.wait()
        concurrent[index] = method.describe(backbone, images[index : index + 1]).descriptors[0]

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(2):
        assert torch.allclose(concurrent[index], sequential[index], atol=1e-5), f"thread {index} differs"


def test_same_photo_mirrored_stays_close(backbone_and_images) -> None:
    from fgir.methods import create_method

    backbone, images = backbone_and_images
    method = create_method("kpga")
    descriptors = method.describe(backbone, torch.cat([images[:2], images[:1].flip(3)])).descriptors
    mirror_similarity = float(descriptors[0] @ descriptors[2])
    other_similarity = float(descriptors[0] @ descriptors[1])
    assert mirror_similarity > other_similarity
