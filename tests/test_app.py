"""The Gradio app, launched on a free local port and queried through gradio_client."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image provides the sample photos")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def photo_gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three classes of real photos, each with crops and mirror images."""
    root = tmp_path_factory.mktemp("photos")
    for name in ("astronaut", "chelsea", "coffee"):
        photo = Image.fromarray(getattr(skimage_data, name)()).convert("RGB")
        folder = root / name
        folder.mkdir()
        width, height = photo.size
        photo.save(folder / "full.jpg")
        photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "mirror.jpg")
        photo.crop((width // 10, height // 10, width, height)).save(folder / "crop.jpg")
    return root


@pytest.fixture(scope="module")
def running_app(photo_gallery: Path, tmp_path_factory: pytest.TempPathFactory):
    from fgir.service import RetrievalService
    from fgir.ui import build_demo

    service = RetrievalService(cache_dir=tmp_path_factory.mktemp("app_cache"))
    service.set_gallery(photo_gallery)
    demo = build_demo(service)
    port = _free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, show_error=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_search_endpoint_ranks_same_class_first(running_app: str, photo_gallery: Path, tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    query = tmp_path / "chelsea_query.jpg"
    photo = Image.open(photo_gallery / "chelsea" / "full.jpg")
    photo.crop((0, 0, photo.width * 9 // 10, photo.height)).save(query)

    client = Client(running_app, verbose=False)
    payload = client.predict(handle_file(str(query)), "wmtl", "mobilenet_v2", 3, api_name="/search")

    results = payload["results"]
    assert len(results) == 3
    assert results[0]["class_name"] == "chelsea"
    scores = [entry["score"] for entry in results]
    assert scores == sorted(scores, reverse=True)
    assert payload["query_box"] is not None
    assert Path(results[0]["image_path"]).is_file()


def test_search_endpoint_rejects_non_image(running_app: str, tmp_path: Path) -> None:
    from gradio_client import Client, handle_file

    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("not pixels")
    client = Client(running_app, verbose=False)
    with pytest.raises(Exception) as caught:
        client.predict(handle_file(str(not_an_image)), "gap", "mobilenet_v2", 3, api_name="/search")
    assert "Not an image file" in str(caught.value)
    assert "notes.txt" in str(caught.value)


def test_search_endpoint_still_answers_after_error(running_app: str, photo_gallery: Path) -> None:
    from gradio_client import Client, handle_file

    client = Client(running_app, verbose=False)
    with pytest.raises(Exception):
        client.predict(handle_file(str(photo_gallery / "coffee" / "full.jpg")), "wmtl", "vgg16_typo", 3, api_name="/search")
    payload = client.predict(handle_file(str(photo_gallery / "coffee" / "full.jpg")), "gap", "mobilenet_v2", 2, api_name="/search")
    assert payload["results"][0]["class_name"] == "coffee"
    assert payload["query_box"] is None


def test_service_explains_without_gallery(photo_gallery: Path, tmp_path: Path) -> None:
    from fgir.service import RetrievalService

    service = RetrievalService(cache_dir=tmp_path)
    views = service.explain(photo_gallery / "astronaut" / "full.jpg", "wmtl", "mobilenet_v2")
    assert views.query.dtype == np.uint8
    assert views.saliency.shape[2] == 3
    assert views.payload["query_box"] is not None
    assert views.results == []


def test_compare_reports_failing_method_alone(photo_gallery: Path, tmp_path: Path) -> None:
    from fgir.service import RetrievalService

    service = RetrievalService(cache_dir=tmp_path)
    service.set_gallery(photo_gallery)
    comparisons = {c.method_id: c for c in service.compare(photo_gallery / "coffee" / "crop.jpg", ["gap", "wlrh"], "mobilenet_v2")}
    assert comparisons["gap"].error is None
    assert len(comparisons["gap"].results) == 5
    assert comparisons["wlrh"].results == []
    assert "checkpoint" in str(comparisons["wlrh"].error)


def test_walkthrough_has_every_step(photo_gallery: Path, tmp_path: Path) -> None:
    from fgir.service import RetrievalService

    service = RetrievalService(cache_dir=tmp_path)
    service.set_gallery(photo_gallery)
    steps = service.walkthrough(photo_gallery / "chelsea" / "full.jpg", "mobilenet_v2")
    keys = [step.key for step in steps]
    assert keys == ["step_input", "step_feature_map", "step_spatial", "step_channel", "step_mask", "step_descriptor", "step_neighbours"]
    assert all(step.image.dtype.name == "uint8" for step in steps)


def _handler(demo, name: str):
    return next(function.fn for function in demo.fns.values() if function.name == name)


def _no_progress(*args: object, **kwargs: object) -> None:
    pass


def test_query_image_passes_file_unopened(tmp_path: Path) -> None:
    from gradio.data_classes import ImageData

    from fgir.ui.components import QueryImage

    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("not pixels")
    assert QueryImage(type="filepath").preprocess(ImageData(path=str(not_an_image))) == str(not_an_image)
    assert QueryImage(type="filepath").preprocess(None) is None
    assert QueryImage(type="filepath").get_block_name() == "image"


def test_bad_query_error_in_chinese(photo_gallery: Path, tmp_path: Path) -> None:
    from fgir.service import RetrievalService
    from fgir.ui import build_demo

    service = RetrievalService(cache_dir=tmp_path / "cache")
    demo = build_demo(service)
    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("not pixels")

    outputs = _handler(demo, "on_explain")(str(not_an_image), "wmtl", "mobilenet_v2", "zh")

    status = outputs[5]
    assert status.startswith("**错误：**")
    assert "不是图像文件" in status
    assert "notes.jpg" in status


def test_language_switch_translates_choices(tmp_path: Path) -> None:
    from fgir.service import RetrievalService
    from fgir.ui import build_demo

    demo = build_demo(RetrievalService(cache_dir=tmp_path))

    updates = _handler(demo, "on_language")("zh", "wmtl", [], [], [], {}, [], [])

    pairs = {tuple(pair) for update in updates for pair in (getattr(update, "choices", None) or [])}
    assert ("MobileNetV2（离线 ImageNet 权重）", "mobilenet_v2") in pairs
    assert ("加权图目标定位 (wmtl)", "wmtl") in pairs
    assert ("全局平均池化（基线） (gap)", "gap") in pairs


def test_progress_on_cache_hit_says_cached() -> None:
    from fgir.ui.progress import progress_callback

    descriptions: list[str] = []
    update = progress_callback(lambda progress, desc=None, **options: descriptions.append(desc), "en")

    update(5, 5)

    assert descriptions == ["Gallery index loaded from the cache"]


def test_progress_while_indexing_says_indexing() -> None:
    from fgir.ui.progress import progress_callback

    descriptions: list[str] = []
    update = progress_callback(lambda progress, desc=None, **options: descriptions.append(desc), "zh")

    update(2, 5)
    update(3, 5)

    assert descriptions[0] == "正在建立图库索引"
    assert descriptions[1].startswith("正在建立图库索引：预计还需约")


def test_search_notes_render_in_both_languages(photo_gallery: Path, tmp_path: Path) -> None:
    from fgir.service import RetrievalService
    from fgir.ui.text import translate

    service = RetrievalService(cache_dir=tmp_path)
    service.set_gallery(photo_gallery)
    views = service.search(photo_gallery / "chelsea" / "crop.jpg", "gap", "mobilenet_v2", 3)

    keys = [key for key, _ in views.notes]
    assert "timing" in keys
    assert "no_localize" in keys
    for key, params in views.notes:
        assert translate("en", key, **params)
        assert translate("zh", key, **params)


def test_open_index_follows_browser_language(photo_gallery: Path, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from fgir.service import RetrievalService
    from fgir.ui import build_demo

    service = RetrievalService(cache_dir=tmp_path)
    service.set_gallery(photo_gallery)
    demo = build_demo(service, index_on_load=True)
    descriptions: list[str] = []

    summary, notes = _handler(demo, "on_open_index")(
        SimpleNamespace(headers={"accept-language": "zh-CN,zh;q=0.9"}),
        lambda progress, desc=None, **options: descriptions.append(desc),
    )

    assert descriptions
    assert all(description.startswith("正在建立图库索引") for description in descriptions)
    assert "已用 `wmtl` 和 `mobilenet_v2` 为 9 张图像建立索引。" in summary
    assert summary.startswith("**图库：**")
    assert notes == [("indexed", {"count": 9, "method": "wmtl", "backbone": "mobilenet_v2"})]


def test_language_switch_rerenders_status(photo_gallery: Path, tmp_path: Path) -> None:
    from fgir.service import RetrievalService
    from fgir.ui import build_demo

    service = RetrievalService(cache_dir=tmp_path / "cache")
    service.set_gallery(photo_gallery)
    demo = build_demo(service)
    service.set_hash_checkpoint(None)  # build_demo picks a trained checkpoint when checkpoints/ has one.
    not_an_image = tmp_path / "notes.jpg"
    not_an_image.write_text("not pixels")
    search_outputs = _handler(demo, "on_search")(str(photo_gallery / "chelsea" / "crop.jpg"), "gap", "mobilenet_v2", 3, "zh", _no_progress)
    error_outputs = _handler(demo, "on_explain")(str(not_an_image), "wmtl", "mobilenet_v2", "zh")
    compare_outputs = _handler(demo, "on_compare")(str(photo_gallery / "coffee" / "crop.jpg"), ["gap", "wlrh"], "mobilenet_v2", "zh", _no_progress)
    steps_outputs = _handler(demo, "on_steps")(str(photo_gallery / "chelsea" / "full.jpg"), "mobilenet_v2", "zh")
    assert "耗时" in search_outputs[5]
    assert "不是图像文件" in error_outputs[5]

    texts = _handler(demo, "on_language")(
        "en", "wmtl", [], search_outputs[7], [("match_hint", {})], compare_outputs[-1], steps_outputs[-1], steps_outputs[1]
    )

    rendered = "\n".join(text for text in texts if isinstance(text, str))
    assert "Timing: descriptor and maps" in rendered
    assert "Global average pooling (baseline)" in rendered
    assert "needs a hash checkpoint" in rendered
    assert "### 4. Channel weights w" in rendered
    assert "耗时" not in rendered
    assert "不做目标定位" not in rendered

    texts = _handler(demo, "on_language")("en", "wmtl", [], error_outputs[7], [], {}, [], [])
    assert any(isinstance(text, str) and text.startswith("**Error:** Not an image file") for text in texts)
