"""``python -m fgir evaluate`` and ``compare`` end to end on tiny galleries and on CUB classes 1-2."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import fgir.pipeline
from fgir.commands import main
from tests.synthetic_data import make_cub_root, make_folder_gallery, replace_line

STABLE_KEYS = (
    "mAP", "top1_mAP", "top5_mAP", "mAP@1", "mAP@5", "mAP@10", "P@1", "P@5", "P@10", "R@1", "R@5", "R@10",
    "loc_acc", "mean_IoU", "n_query", "n_gallery", "method", "backbone", "weights", "protocol", "wall_time_s",
)  # fmt: skip


@pytest.fixture(scope="module")
def folder_gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_folder_gallery(tmp_path_factory.mktemp("photos") / "gallery")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def evaluate_json(args: list[str], out: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    code, _, err = run_cli(["evaluate", *args, "--json", str(out)], capsys)
    assert code == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


def test_evaluate_folder_report(folder_gallery: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = evaluate_json(["--gallery", str(folder_gallery), "--method", "gap"], tmp_path / "gap.json", capsys)
    for key in STABLE_KEYS:
        assert key in report, key
    assert report["protocol"] == "folder-holdout"
    assert report["n_query"] == 3
    assert report["n_gallery"] == 9
    assert report["loc_acc"] is None  # gap gives no boxes
    # Crops and mirrors of one photo retrieve each other: every query's first result is correct.
    assert report["P@1"] == 1.0
    assert report["top1_mAP"] == report["P@1"]


def test_evaluate_second_run_uses_cache(
    folder_gallery: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--gallery", str(folder_gallery), "--method", "mac"]
    first = evaluate_json(args, tmp_path / "first.json", capsys)

    def fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("descriptors were recomputed although both sides are cached")

    monkeypatch.setattr(fgir.pipeline, "compute_embeddings", fail)
    second = evaluate_json(args, tmp_path / "second.json", capsys)
    assert second["mAP"] == first["mAP"]
    assert second["P@5"] == first["P@5"]


def test_evaluate_text_summary(folder_gallery: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["evaluate", "--gallery", str(folder_gallery), "--method", "gap"], capsys)
    assert code == 0
    assert "mAP" in out
    assert "held out as queries" in out


def test_evaluate_whitening_saved(
    folder_gallery: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_cache: Path
) -> None:
    args = ["--gallery", str(folder_gallery), "--method", "gap", "--whiten", "--whiten-dim", "4"]
    report = evaluate_json(args, tmp_path / "white.json", capsys)
    assert report["whitening_dim"] == 4
    assert report["descriptor_dim"] == 4
    assert len(list(isolated_cache.glob("gap-*/whitening-d4-projection.npy"))) == 1


def test_evaluate_cub_synthetic_localization(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_cub_root(tmp_path / "cub")
    report = evaluate_json(["--cub-root", str(root), "--method", "scda"], tmp_path / "scda.json", capsys)
    assert report["protocol"] == "cub-official"
    assert report["n_query"] == 4
    assert report["n_gallery"] == 4
    assert report["n_loc"] == 4
    assert 0.0 <= report["loc_acc"] <= 1.0
    assert 0.0 <= report["mean_IoU"] <= 1.0


def test_evaluate_cub_inconsistent_root_proceeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_cub_root(tmp_path / "cub")
    (root / "images" / "002.chelsea" / "chelsea_1.jpg").unlink()  # image id 6, a test image
    replace_line(root / "image_class_labels.txt", 7, None)  # image id 7, a train image
    replace_line(root / "bounding_boxes.txt", 2, "2 -90.0 -90.0 10.0 10.0")  # outside image id 2
    report = evaluate_json(["--cub-root", str(root), "--method", "scda"], tmp_path / "report.json", capsys)
    assert report["n_excluded_metadata"] == 2
    assert report["n_query"] == 3
    assert report["n_gallery"] == 3
    assert report["n_loc"] == 2


def test_evaluate_query_without_relevant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Class 2 keeps only its test images, so its queries have no gallery image of their class.
    root = make_cub_root(tmp_path / "cub")
    for image_id in (5, 7):
        replace_line(root / "train_test_split.txt", image_id, f"{image_id} 0")
    report = evaluate_json(["--cub-root", str(root), "--method", "gap"], tmp_path / "report.json", capsys)
    assert report["n_query_no_relevant"] == 4
    assert report["n_query"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--query-fraction", "1.5"], "Invalid query fraction 1.5"),
        (["--seed", "-2"], "Invalid seed -2"),
        (["--classes", "3-1"], "Invalid class range '3-1'"),
        (["--classes", "1-7"], "outside the class ids 1-3"),
        (["--whiten-dim", "4"], "--whiten-dim needs --whiten"),
        (["--batch-size", "0"], "Invalid --batch-size 0"),
    ],
)
def test_evaluate_rejects_folder_options(
    folder_gallery: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["evaluate", "--gallery", str(folder_gallery), "--method", "gap", *args], capsys)
    assert code == 2
    assert message in err


def test_evaluate_rejects_fraction_with_cub(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_cub_root(tmp_path / "cub")
    code, _, err = run_cli(["evaluate", "--cub-root", str(root), "--query-fraction", "0.3"], capsys)
    assert code == 2
    assert "apply to --gallery folders only" in err


def test_evaluate_rejects_cub_as_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_cub_root(tmp_path / "cub")
    code, _, err = run_cli(["evaluate", "--gallery", str(root)], capsys)
    assert code == 2
    assert f"Use --cub-root {root}" in err


def test_evaluate_duplicate_id_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_cub_root(tmp_path / "cub")
    with (root / "image_class_labels.txt").open("a", encoding="utf-8") as handle:
        handle.write("2 1\n")
    code, _, err = run_cli(["evaluate", "--cub-root", str(root)], capsys)
    assert code == 2
    assert "image_class_labels.txt:9: duplicate id 2" in err


def test_evaluate_needs_source(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--method", "gap"])
    assert exit_info.value.code == 2
    assert "--cub-root" in capsys.readouterr().err


def test_compare_writes_outputs(folder_gallery: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results"
    code, stdout, err = run_cli(
        ["compare", "--gallery", str(folder_gallery), "--methods", "gap,scda", "--out", str(out)], capsys
    )
    assert code == 0, err
    for name in ("results.md", "results.csv", "results.json", "pr_curves.png", "map_bar.png", "gap.json", "scda.json"):
        assert (out / name).is_file(), name
    with (out / "results.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["method"] for row in rows] == ["gap", "scda"]
    assert rows[0]["loc_acc"] == ""
    table = (out / "results.md").read_text(encoding="utf-8")
    assert "| gap |" in table
    assert "| scda |" in table
    assert "| method |" in stdout


def test_compare_rejects_unknown_method(folder_gallery: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["compare", "--gallery", str(folder_gallery), "--methods", "gap,nope"], capsys)
    assert code == 2
    assert "Unknown methods in --methods: nope" in err


def test_compare_rejects_repeated_method(folder_gallery: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["compare", "--gallery", str(folder_gallery), "--methods", "gap,gap"], capsys)
    assert code == 2
    assert "repeated" in err


@pytest.mark.cub
def test_evaluate_cub_classes_1_2(cub_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = evaluate_json(
        ["--cub-root", str(cub_root), "--classes", "1-2", "--method", "scda"], tmp_path / "cub.json", capsys
    )
    # Classes 1 and 2 of the official split hold 60 test and 60 train images.
    assert report["n_query"] == 60
    assert report["n_gallery"] == 60
    assert report["n_loc"] == 60
    assert report["loc_acc"] > 0.3
    assert report["P@1"] > 0.5
    assert report["mAP@1"] == report["P@1"]
