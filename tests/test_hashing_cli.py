"""train-hash end to end on a tiny folder gallery, then the wlrh method in search and index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from fgir.cache import GalleryCache
from fgir.commands import EXIT_ERROR, main, train_hash_command
from fgir.evaluation.protocol import folder_holdout_split
from fgir.gallery import open_gallery
from fgir.hashing.checkpoint import load_checkpoint
from fgir.hashing.features import load_or_compute_features
from fgir.hashing.training import encode_feature_set
from fgir.methods import create_method
from fgir.pipeline import Retriever
from tests.synthetic_data import make_folder_gallery

EPOCHS = "4"


def train(root: Path, out: Path, cache: Path, *extra: str) -> int:
    return main([
        "train-hash", "--gallery", str(root), "--backbone", "mobilenet_v2", "--epochs", EPOCHS,
        "--embedding", "32", "--out", str(out), "--cache-dir", str(cache), *extra,
    ])  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A folder gallery of 3 classes x 6 images and 12- and 16-bit checkpoints trained on it."""
    base = tmp_path_factory.mktemp("train_hash")
    root = make_folder_gallery(base / "gallery", per_class=6)
    cache = base / "cache"
    assert train(root, base / "wlrh.pt", cache, "--bits", "12,16", "--json") == 0
    return root, base, cache


def test_one_checkpoint_per_length(trained):
    _, base, _ = trained
    for bits in (12, 16):
        checkpoint = load_checkpoint(base / f"wlrh-{bits}bit.pt")
        assert checkpoint.bits == bits
        assert checkpoint.backbone == "mobilenet_v2"
        assert checkpoint.metadata["class_names"] == ["astronaut", "chelsea", "coffee"]
        assert checkpoint.metadata["training"]["epochs_run"] <= int(EPOCHS)


def test_trains_without_evaluate_queries(trained):
    root, base, _ = trained
    training = load_checkpoint(base / "wlrh-12bit.pt").metadata["training"]
    expected = folder_holdout_split(root).gallery
    # 6 images per class minus round(0.3 * 6) = 2 queries leaves 4, and 1 of them validates.
    assert training["fingerprint"] == expected.fingerprint()
    assert training["images"] + training["validation_images"] == len(expected.items) == 12
    assert training["validation_images"] == 3


def test_same_seed_reproduces_checkpoint(trained, tmp_path):
    root, base, cache = trained
    assert train(root, tmp_path / "again.pt", cache, "--bits", "12") == 0
    first, second = load_checkpoint(base / "wlrh-12bit.pt"), load_checkpoint(tmp_path / "again.pt")
    for name, tensor in first.tensors.items():
        assert torch.equal(second.tensors[name], tensor), name


def test_method_codes_match_cached_features(trained, mobilenet):
    root, base, cache = trained
    gallery = folder_holdout_split(root).gallery
    method = create_method("wlrh", checkpoint=base / "wlrh-12bit.pt")
    embeddings = Retriever(gallery, method, mobilenet, GalleryCache(cache)).prepare()
    features = load_or_compute_features(gallery, mobilenet, method.encoder.layout, GalleryCache(cache))
    assert set(np.unique(embeddings.descriptors)) == {-1.0, 1.0}
    assert np.array_equal(embeddings.descriptors, encode_feature_set(method.encoder, features).astype(np.float32))


def test_search_ranks_by_hamming_distance(trained, capsys):
    root, base, _ = trained
    query = root / "chelsea" / "0.jpg"
    code = main([
        "search", "--gallery", str(root), "--method", "wlrh", "--checkpoint", str(base / "wlrh-12bit.pt"),
        "--query", str(query), "--top-k", "18", "--json",
    ])  # fmt: skip
    assert code == 0
    results = json.loads(capsys.readouterr().out)["results"]
    scores = [entry["score"] for entry in results]
    assert len(results) == 18
    assert scores == sorted(scores, reverse=True)
    # Scores are 1 - 2 * hamming / 12: multiples of 1/6.
    assert all(abs(score * 6 - round(score * 6)) < 1e-4 for score in scores)
    assert results[0]["relpath"] == "chelsea/0.jpg"


def test_explanation_has_regions_and_code(trained, mobilenet, sample_photos):
    _, base, _ = trained
    method = create_method("wlrh", checkpoint=base / "wlrh-16bit.pt")
    pixels = mobilenet.preprocess(sample_photos["coffee"])[None]
    batch, explanation = method.describe_and_explain(mobilenet, pixels)
    assert explanation.regions.shape == (5, 4)
    assert explanation.code.shape == (16,)
    assert np.array_equal(explanation.code, batch.descriptors[0].numpy().astype(np.int8))
    assert explanation.saliency.shape == (7, 7)
    assert explanation.mask.shape == (7, 7)
    assert float(explanation.saliency.max()) <= 1.0


def test_index_accepts_checkpoint(trained, capsys):
    root, base, _ = trained
    code = main(
        ["index", "--gallery", str(root), "--method", "wlrh", "--checkpoint", str(base / "wlrh-16bit.pt"), "--json"]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["dimension"] == 16


def test_search_without_checkpoint_names_fix(trained, capsys):
    root, _, _ = trained
    code = main(["search", "--gallery", str(root), "--method", "wlrh", "--query", str(root / "coffee" / "0.jpg")])
    assert code == EXIT_ERROR
    assert "--method wlrh needs --checkpoint PATH" in capsys.readouterr().err


def test_checkpoint_with_other_method_rejected(trained, capsys):
    root, base, _ = trained
    code = main([
        "index", "--gallery", str(root), "--method", "gap", "--checkpoint", str(base / "wlrh-12bit.pt"),
    ])  # fmt: skip
    assert code == EXIT_ERROR
    assert "--checkpoint applies to the wlrh method only" in capsys.readouterr().err


def test_backbone_mismatch_names_both(trained, capsys):
    root, base, _ = trained
    code = main([
        "search", "--gallery", str(root), "--method", "wlrh", "--checkpoint", str(base / "wlrh-12bit.pt"),
        "--backbone", "resnet18", "--allow-random-weights", "--query", str(root / "coffee" / "0.jpg"),
    ])  # fmt: skip
    assert code == EXIT_ERROR
    message = capsys.readouterr().err
    assert "trained on backbone mobilenet_v2" in message
    assert "chosen backbone is resnet18" in message


def test_itq_and_global_ablation(trained, tmp_path, capsys):
    root, _, cache = trained
    assert train(root, tmp_path / "itq.pt", cache, "--bits", "8", "--model", "itq") == 0
    assert train(root, tmp_path / "global.pt", cache, "--bits", "12", "--regions", "global") == 0
    capsys.readouterr()
    itq, ablation = load_checkpoint(tmp_path / "itq.pt"), load_checkpoint(tmp_path / "global.pt")
    assert itq.model == "itq"
    assert itq.tensors["itq.rotation"].shape == (8, 8)
    assert ablation.regions == "global"
    assert ablation.tensors["network.region_logits"].shape == (1,)
    code = main(
        ["index", "--gallery", str(root), "--method", "wlrh", "--checkpoint", str(tmp_path / "itq.pt"), "--json"]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["dimension"] == 8


def test_interrupt_keeps_best_epoch(trained, tmp_path, monkeypatch, capsys):
    root, _, cache = trained
    original = train_hash_command.train_network_checkpoint

    def interrupted_after_two_epochs(features, is_validation, config, source, on_epoch=None):
        def interrupting(epoch, statistics):
            on_epoch(epoch, statistics)
            if epoch == 2:
                raise KeyboardInterrupt

        return original(features, is_validation, config, source, interrupting)

    monkeypatch.setattr(train_hash_command, "train_network_checkpoint", interrupted_after_two_epochs)
    code = train(root, tmp_path / "stopped.pt", cache, "--bits", "12,16")
    assert code == train_hash_command.EXIT_INTERRUPTED
    assert "interrupted" in capsys.readouterr().err
    training = load_checkpoint(tmp_path / "stopped-12bit.pt").metadata["training"]
    assert training["interrupted"] is True
    assert training["epochs_run"] == 2
    assert not (tmp_path / "stopped-16bit.pt").exists()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--bits", "12,x"], "Invalid --bits"),
        (["--bits", "12,12"], "Repeated value in --bits"),
        (["--validation-fraction", "1"], "Invalid --validation-fraction"),
        (["--regions", "grid0x0"], "Invalid grid"),
    ],
)
def test_invalid_options_rejected(trained, tmp_path, capsys, arguments, message):
    root, _, cache = trained
    assert train(root, tmp_path / "x.pt", cache, *arguments) == EXIT_ERROR
    assert message in capsys.readouterr().err


@pytest.mark.cub
def test_cub_classes_1_to_3(cub_root, tmp_path):
    out = tmp_path / "cub.pt"
    code = main([
        "train-hash", "--cub-root", str(cub_root), "--classes", "1-3", "--backbone", "mobilenet_v2",
        "--bits", "12", "--epochs", "3", "--embedding", "64", "--out", str(out),
    ])  # fmt: skip
    assert code == 0
    metadata = load_checkpoint(out).metadata
    train_split = open_gallery(cub_root, "train", "1-3")
    assert metadata["class_ids"] == [1, 2, 3]
    assert metadata["training"]["fingerprint"] == train_split.fingerprint()
    assert metadata["training"]["images"] + metadata["training"]["validation_images"] == len(train_split.items)
    assert metadata["centers"]["kind"] == "random"
