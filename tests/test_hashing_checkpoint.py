"""Hash checkpoints: round trip, rejection of foreign files and mismatched backbones, listing; ITQ."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from fgir.hashing.checkpoint import (
    CheckpointError,
    check_backbone_match,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from fgir.hashing.encoder import HashEncoder
from fgir.hashing.features import FeatureSet
from fgir.hashing.itq import fit_itq, itq_project
from fgir.hashing.training import TrainingConfig, TrainingSource, train_network_checkpoint, validation_mask

PREPROCESSING = "resize224x224-test"


def fake_backbone(backbone_id: str = "mobilenet_v2", weights_id: str = "weights-a") -> SimpleNamespace:
    return SimpleNamespace(id=backbone_id, weights_id=weights_id, spec=SimpleNamespace(preprocessing_id=PREPROCESSING))


def synthetic_features(
    classes: int = 3, per_class: int = 8, regions: int = 5, channels: int = 16, seed: int = 0
) -> FeatureSet:
    """Region features clustered around one random prototype per class."""
    rng = np.random.default_rng(seed)
    prototypes = rng.standard_normal((classes, regions, channels))
    labels = np.repeat(np.arange(1, classes + 1), per_class)
    values = prototypes[labels - 1] + 0.3 * rng.standard_normal((len(labels), regions, channels))
    values /= np.linalg.norm(values, axis=2, keepdims=True)
    crow = values.mean(axis=1)
    crow /= np.linalg.norm(crow, axis=1, keepdims=True)
    return FeatureSet(
        crow.astype(np.float32),
        values.astype(np.float32),
        labels.astype(np.int64),
        np.arange(len(labels)),
        "global+grid2x2",
    )


def training_source(features: FeatureSet) -> TrainingSource:
    return TrainingSource(
        backbone="mobilenet_v2",
        weights="weights-a",
        preprocessing=PREPROCESSING,
        gallery_fingerprint="fingerprint",
        gallery="synthetic",
        class_names={int(label): f"class {label}" for label in np.unique(features.labels)},
        validation_fraction=0.25,
        validation_seed=0,
    )


@pytest.fixture(scope="module")
def trained():
    features = synthetic_features()
    is_validation = validation_mask(features.labels, 0.25, seed=0)
    config = TrainingConfig(bits=12, epochs=4, embedding=32, patience=0)
    checkpoint, outcome = train_network_checkpoint(features, is_validation, config, training_source(features))
    return features, checkpoint, outcome


def test_round_trip_keeps_metadata_and_tensors(trained, tmp_path):
    features, checkpoint, _ = trained
    path = save_checkpoint(tmp_path / "wlrh.pt", checkpoint.metadata, checkpoint.tensors)
    loaded = load_checkpoint(path)
    assert loaded.metadata == checkpoint.metadata
    assert loaded.tensors.keys() == checkpoint.tensors.keys()
    for name, tensor in checkpoint.tensors.items():
        assert torch.equal(loaded.tensors[name], tensor), name
    assert loaded.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    regions, crow = torch.from_numpy(features.regions), torch.from_numpy(features.crow)
    assert torch.equal(HashEncoder(loaded).codes(regions, crow), HashEncoder(checkpoint).codes(regions, crow))


def test_metadata_records_training_facts(trained):
    _, checkpoint, outcome = trained
    metadata = checkpoint.metadata
    assert metadata["backbone"] == "mobilenet_v2"
    assert metadata["weights"] == "weights-a"
    assert metadata["bits"] == 12
    assert metadata["regions"] == "global+grid2x2"
    assert metadata["class_ids"] == [1, 2, 3]
    assert metadata["class_names"] == ["class 1", "class 2", "class 3"]
    assert metadata["training"]["fingerprint"] == "fingerprint"
    assert metadata["training"]["seed"] == 0
    assert metadata["training"]["epochs_run"] == 4
    assert metadata["training"]["best_validation_map"] == outcome.best_validation_map
    assert metadata["centers"]["min_distance"] >= 2
    assert checkpoint.tensors["centers"].shape == (3, 12)


def test_backbone_mismatch_rejected_with_fix(trained):
    _, checkpoint, _ = trained
    check_backbone_match(checkpoint, fake_backbone())
    with pytest.raises(CheckpointError) as error:
        check_backbone_match(checkpoint, fake_backbone("resnet18", "random-init-seed0"))
    message = str(error.value)
    assert "mobilenet_v2" in message
    assert "resnet18" in message
    assert "--backbone mobilenet_v2" in message
    assert "train-hash --backbone resnet18" in message


def test_weights_mismatch_rejected(trained):
    _, checkpoint, _ = trained
    with pytest.raises(CheckpointError, match="weights weights-a.*weights weights-b"):
        check_backbone_match(checkpoint, fake_backbone(weights_id="weights-b"))


def test_missing_file_rejected(tmp_path):
    with pytest.raises(CheckpointError, match="not found.*train-hash"):
        load_checkpoint(tmp_path / "absent.pt")


def test_foreign_file_rejected(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    message = str(error.value)
    assert message.startswith(f"{path} is not a PyTorch file, so it is not a hash checkpoint.")
    assert "train-hash" in message
    # The unpickler's detail comes last and is short, without torch's paragraphs about weights_only.
    detail = message.rsplit(" (", 1)[1]
    assert detail.startswith("UnpicklingError: ")
    assert detail.endswith(")")
    assert len(detail) <= 121
    assert "weights_only" not in message
    assert "不是 PyTorch 文件" in error.value.localized("zh")


def test_empty_file_rejected(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"is not a PyTorch file.*\(EOFError\)$"):
        load_checkpoint(path)


def test_truncated_checkpoint_rejected(trained, tmp_path):
    _, checkpoint, _ = trained
    path = save_checkpoint(tmp_path / "whole.pt", checkpoint.metadata, checkpoint.tensors)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="not a readable hash checkpoint: either the file is damaged"):
        load_checkpoint(path)


class _Unsafe:
    """An arbitrary class: weights_only loading must refuse to unpickle it."""


def test_pickled_object_rejected(tmp_path):
    path = tmp_path / "unsafe.pt"
    torch.save({"format": 1, "metadata": "{}", "tensors": {}, "payload": _Unsafe()}, path)
    with pytest.raises(CheckpointError, match="not a readable hash checkpoint") as error:
        load_checkpoint(path)
    assert "Unsupported global" in str(error.value)
    assert "weights_only" not in str(error.value)


def test_inconsistent_bits_rejected(trained, tmp_path):
    _, checkpoint, _ = trained
    metadata = {**checkpoint.metadata, "bits": 16}
    with pytest.raises(CheckpointError, match="sets 16 bits but the tensors have 12"):
        save_checkpoint(tmp_path / "bad.pt", metadata, checkpoint.tensors)


def test_list_checkpoints_skips_foreign_files(trained, tmp_path):
    _, checkpoint, _ = trained
    save_checkpoint(tmp_path / "b-wlrh.pt", checkpoint.metadata, checkpoint.tensors)
    (tmp_path / "a-junk.pt").write_bytes(b"junk")
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    listed = list_checkpoints(tmp_path)
    assert [entry.path.name for entry in listed] == ["b-wlrh.pt"]
    assert listed[0].bits == 12
    assert listed[0].classes == 3
    assert list_checkpoints(tmp_path / "missing") == []


def test_itq_loss_never_increases():
    features = synthetic_features(classes=4, per_class=20, channels=32)
    model, losses = fit_itq(features.crow, bits=8, iterations=20, seed=0)
    assert all(later <= earlier + 1e-9 for earlier, later in zip(losses, losses[1:]))
    assert np.allclose(model.rotation @ model.rotation.T, np.eye(8), atol=1e-10)
    assert itq_project(model, features.crow).shape == (80, 8)


def test_itq_rejects_too_many_bits():
    features = synthetic_features(channels=8)
    with pytest.raises(Exception, match="1 <= bits <= min"):
        fit_itq(features.crow, bits=9)


def test_itq_deterministic_for_seed():
    features = synthetic_features(classes=4, per_class=20, channels=32)
    first, _ = fit_itq(features.crow, bits=8, seed=1)
    second, _ = fit_itq(features.crow, bits=8, seed=1)
    assert np.array_equal(first.rotation, second.rotation)
    assert np.array_equal(first.projection, second.projection)


def test_save_creates_parent_folders(trained, tmp_path):
    _, checkpoint, _ = trained
    path = save_checkpoint(tmp_path / "nested" / "deeper" / "wlrh.pt", checkpoint.metadata, checkpoint.tensors)
    assert path.is_file()
    assert load_checkpoint(path).bits == 12
    assert not list(path.parent.glob(".tmp-*"))
