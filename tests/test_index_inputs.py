"""Bad, hostile or mistaken inputs to `index build`/`sync`: encrypted PDFs, wrong paths, odd encodings, binary,
giant lines, symlink loops, and a new generation flushed to disk before it goes live (issue 24)."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from copilot.cli import main
from index import IndexConfig, build_index, layout
from index.chunking import split_document
from index.config import MAX_CHUNK_CHARS
from index.errors import DocumentLoadError, MissingPathError
from index.loaders import discover, load_document
from index.manifest import Manifest
from index.progress import Progress
from tests.fakes import HashingEmbedder

CFG = IndexConfig(embedder="fake-hashing-64")
GOOD_PDF = Path(__file__).parents[1] / "corpus" / "manuals" / "pdf" / "halden-ft2000-steam-boiler.pdf"


def _build(paths: list[Path], index_dir: Path, cfg: IndexConfig = CFG):
    return build_index(paths, index_dir, lambda: HashingEmbedder(64), cfg)


def _encrypted_copy(target: Path, algorithm: str, user_password: str) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(GOOD_PDF))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    writer.write(target)
    return target


def _indexed_names(index_dir: Path) -> set[str]:
    return {Path(e.path).name for e in Manifest.load(layout.live_generation(index_dir)).files.values()}


@pytest.fixture
def cli_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("index.embeddings.make_embedder", lambda *a, **k: HashingEmbedder(64))


# -- item 3: encrypted PDFs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256", "RC4-128"])
def test_a_pdf_with_a_user_password_is_reported_as_encrypted_with_how_to_decrypt(tmp_path: Path,
                                                                                 algorithm: str) -> None:
    pdf = _encrypted_copy(tmp_path / "locked.pdf", algorithm, user_password="secret")
    with pytest.raises(DocumentLoadError) as caught:
        load_document(pdf, pdf.name)
    assert caught.value.reason.startswith("encrypted PDF: it needs a password")
    assert "qpdf --decrypt in.pdf out.pdf" in caught.value.reason


def test_an_aes_pdf_without_a_user_password_is_read_like_any_other(tmp_path: Path) -> None:
    pdf = _encrypted_copy(tmp_path / "permissions-only.pdf", "AES-256", user_password="")
    doc = load_document(pdf, pdf.name)
    assert [b.text for b in doc.blocks] == [b.text for b in load_document(GOOD_PDF, GOOD_PDF.name).blocks]


def test_an_aes_pdf_without_the_cryptography_package_fails_as_encrypted_and_the_batch_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_embedder: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    """pypdf raises DependencyError inside PdfReader() when no AES provider is installed: reproduce that with its
    fallback provider, beside a good file and a password-protected RC4 PDF, through the CLI."""
    import pypdf._encryption as encryption
    from pypdf._crypt_providers import _fallback

    folder = tmp_path / "manuals"
    folder.mkdir()
    _encrypted_copy(folder / "aes.pdf", "AES-256", user_password="")
    _encrypted_copy(folder / "rc4.pdf", "RC4-128", user_password="secret")
    shutil.copy(GOOD_PDF, folder / "good.pdf")
    for name in ("CryptAES", "aes_cbc_decrypt", "aes_cbc_encrypt", "aes_ecb_decrypt", "aes_ecb_encrypt"):
        monkeypatch.setattr(encryption, name, getattr(_fallback, name))

    code = main(["index", "build", str(folder), "--index", str(tmp_path / "idx"), "--embedder", "fake"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    assert _indexed_names(tmp_path / "idx") == {"good.pdf"}
    failed = {line.split(": ", 2)[1].rsplit("/", 1)[-1]: line for line in out.splitlines() if "failed: " in line}
    assert set(failed) == {"aes.pdf", "rc4.pdf"}
    assert "encrypted PDF" in failed["aes.pdf"] and "cryptography" in failed["aes.pdf"]
    assert "encrypted PDF: it needs a password" in failed["rc4.pdf"] and "qpdf --decrypt" in failed["rc4.pdf"]

    code = main(["index", "sync", str(folder), "--index", str(tmp_path / "idx"), "--embedder", "fake"])
    out, err = capsys.readouterr()
    assert code == 1 and "2 failed" in out and "Traceback" not in out + err
    assert _indexed_names(tmp_path / "idx") == {"good.pdf"}


def test_a_parser_error_of_any_kind_fails_only_that_file(tiny_corpus: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import index.loaders as loaders

    real = loaders.parse_records

    def broken(path: Path, mapping: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        if path.name == "fmea.csv":
            raise AttributeError("'NoneType' object has no attribute 'get'")  # a library bug on a malformed file
        return real(path, mapping)

    monkeypatch.setattr(loaders, "parse_records", broken)
    report = _build([tiny_corpus], tmp_path / "idx")
    assert [Path(f.path).name for f in report.failed] == ["fmea.csv"]
    assert "AttributeError" in report.failed[0].reason and len(report.added) == 2


# -- item 4: wrong paths ------------------------------------------------------------------------------------------


def test_build_from_a_mistyped_folder_refuses_and_keeps_the_index(tiny_corpus: Path, tmp_path: Path,
                                                                   cli_embedder: None,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good"
    assert main(["index", "build", str(tiny_corpus), "--index", str(good), "--embedder", "fake"]) == 0
    capsys.readouterr()
    live = layout.live_generation(good)
    before = {p.name: p.read_bytes() for p in live.iterdir()}

    typo = tmp_path / "typo" / "folder"
    assert main(["index", "build", str(typo), "--index", str(good), "--embedder", "fake"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no such file or folder: ") and str(typo) in err and "left as it is" in err
    assert layout.live_generation(good) == live and {p.name: p.read_bytes() for p in live.iterdir()} == before

    # One good path beside the typo still refuses: a build indexes exactly what it is given.
    with pytest.raises(MissingPathError, match="typo"):
        _build([tiny_corpus, typo], good)
    assert layout.live_generation(good) == live


def test_build_from_a_folder_with_nothing_indexable_keeps_the_index(tiny_corpus: Path, tmp_path: Path) -> None:
    _build([tiny_corpus], tmp_path / "idx")
    live = layout.live_generation(tmp_path / "idx")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.docx").write_bytes(b"PK\x03\x04")
    with pytest.raises(MissingPathError, match="nothing could be indexed"):
        _build([tmp_path / "empty"], tmp_path / "idx")
    assert layout.live_generation(tmp_path / "idx") == live


def test_sync_of_a_moved_folder_keeps_its_files_unless_pruned(tiny_corpus: Path, tmp_path: Path, cli_embedder: None,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    index_dir = tmp_path / "idx"
    assert main(["index", "build", str(tiny_corpus), "--index", str(index_dir), "--embedder", "fake"]) == 0
    names = _indexed_names(index_dir)
    shutil.move(tiny_corpus, tmp_path / "elsewhere")
    capsys.readouterr()

    assert main(["index", "sync", str(tiny_corpus), "--index", str(index_dir), "--embedder", "fake"]) == 1
    err = capsys.readouterr().err
    assert str(tiny_corpus) in err and "--prune" in err
    assert _indexed_names(index_dir) == names

    # Beside a folder that exists, the missing one is reported and its files kept; the other is synced.
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.md").write_text("# Note\n\nCheck the coupling guard.\n", encoding="utf-8")
    assert main(["index", "sync", str(tiny_corpus), str(other), "--index", str(index_dir), "--embedder", "fake"]) == 1
    out = capsys.readouterr().out
    assert "0 removed" in out and f"missing: {tiny_corpus}" in out and "3 indexed file(s) were kept" in out
    assert _indexed_names(index_dir) == names | {"note.md"}

    assert main(["index", "sync", str(tiny_corpus), "--prune", "--index", str(index_dir), "--embedder", "fake"]) == 0
    out = capsys.readouterr().out
    assert "3 removed" in out and "removed (--prune)" in out
    assert _indexed_names(index_dir) == {"note.md"}


def test_prune_is_refused_for_build(tiny_corpus: Path, tmp_path: Path, cli_embedder: None,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "build", str(tiny_corpus), "--prune", "--index", str(tmp_path / "i"), "--embedder", "f"]) == 1
    assert "--prune is for `copilot index sync`" in capsys.readouterr().err


# -- item 10: encodings, binary, symlinks, durability ------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"])
def test_unicode_text_with_or_without_a_byte_order_mark_is_read(tmp_path: Path, encoding: str) -> None:
    text = "# Seal replacement\n\nTighten the gland nuts to 25 N·m, crosswise — in three passes.\n"
    source = tmp_path / "seal.md"
    source.write_bytes(text.encode(encoding))
    doc = load_document(source, source.name)
    assert doc.title == "Seal replacement"
    assert [b.text for b in doc.blocks] == ["Tighten the gland nuts to 25 N·m, crosswise — in three passes."]


def test_a_utf16_file_is_indexed_beside_utf8_ones(tiny_corpus: Path, tmp_path: Path) -> None:
    (tiny_corpus / "windows_notes.txt").write_text("Coupling guard\n\nRefit the coupling guard before restart.\n",
                                                   encoding="utf-16")
    report = _build([tiny_corpus], tmp_path / "idx")
    assert not report.failed and "windows_notes.txt" in _indexed_names(tmp_path / "idx")


def test_binary_without_nul_bytes_is_refused_by_content(tmp_path: Path) -> None:
    import random

    noise = bytes(b for b in random.Random(7).randbytes(20000) if b)  # compressed-looking, NUL-free
    for name, data in [("dump.txt", noise), ("photo.md", b"\xff\xd8\xff\xe0" + noise), ("export.log", noise),
                       ("table.csv", noise)]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DocumentLoadError, match="binary file"):
            load_document(tmp_path / name, name)
    latin1 = tmp_path / "latin1.txt"  # text in a legacy encoding is still text
    latin1.write_bytes("Pumpe: Dichtung prüfen, Stopfbuchse nachziehen. Größe 25 mm.\n".encode("latin-1"))
    assert "prüfen" in load_document(latin1, latin1.name).blocks[0].text


def test_a_giant_one_line_file_becomes_bounded_chunks(tmp_path: Path) -> None:
    source = tmp_path / "blob.txt"
    line = "QUJD" * 60000 + " then some words " + "x" * 20000  # base64-like, few spaces: 260 kB on one line
    source.write_text(line + "\n", encoding="utf-8")
    chunks = split_document(load_document(source, source.name), CFG)
    assert len(chunks) > 1 and max(len(c.text) for c in chunks) <= MAX_CHUNK_CHARS
    assert "".join(c.text for c in chunks).replace(" ", "") == line.replace(" ", "")  # nothing lost
    table = tmp_path / "wide.md"  # a giant table row "stands alone" in the chunker: bounded all the same
    table.write_text("| a | b |\n|---|---|\n| " + "y" * 50000 + " | z |\n", encoding="utf-8")
    assert max(len(c.text) for c in split_document(load_document(table, table.name), CFG)) <= MAX_CHUNK_CHARS


def test_a_file_over_the_size_cap_is_refused_with_the_setting_to_raise(tiny_corpus: Path, tmp_path: Path) -> None:
    (tiny_corpus / "huge.txt").write_text("word " * 300_000, encoding="utf-8")  # 1.5 MB
    report = _build([tiny_corpus], tmp_path / "idx", IndexConfig(embedder="fake-hashing-64", max_text_mb=1.0))
    assert [Path(f.path).name for f in report.failed] == ["huge.txt"]
    assert "over the 1 MB limit" in report.failed[0].reason and "max_text_mb" in report.failed[0].reason
    assert len(report.added) == 3


def test_symlink_loops_are_skipped_with_a_warning_naming_them(tiny_corpus: Path, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    os.symlink("loop_b.md", tiny_corpus / "loop_a.md")
    os.symlink("loop_a.md", tiny_corpus / "loop_b.md")
    os.symlink(".", tiny_corpus / "again")  # a folder linking to itself is not entered
    with caplog.at_level("WARNING", logger="index.loaders"):
        files, skipped = discover([tiny_corpus])
    assert sorted(f.name for f, _ in files) == ["fmea.csv", "pump_manual.md", "work_orders.csv"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons["loop_a.md"] == reasons["loop_b.md"] == "symlink loop" and "not followed" in reasons["again"]
    assert all(name in caplog.text for name in ("loop_a.md", "loop_b.md", "again"))


def test_every_file_of_a_new_generation_is_fsynced_before_current_moves(tiny_corpus: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def replace(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == layout.CURRENT:
            synced.append(f"<CURRENT moved to {Path(src).read_text().strip()}>")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    _build([tiny_corpus], tmp_path / "idx")
    gen = layout.live_generation(tmp_path / "idx")
    moved = synced.index(f"<CURRENT moved to {gen.name}>")
    before = set(synced[:moved])
    assert {str(p) for p in gen.rglob("*")} | {str(gen), str(tmp_path / "idx")} <= before
    assert str(tmp_path / "idx") in synced[moved + 1:]  # the rename itself


def test_progress_without_a_terminal_is_a_line_every_few_seconds() -> None:
    stream = io.StringIO()
    shown = Progress("embedding", 300, "chunks", enabled=True, every_s=0.0, stream=stream)
    shown.update(100)
    shown.update(200, "1 failed")
    shown.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("embedding: 100/300 chunks (33%), ") and lines[1].startswith(
        "embedding: 300/300 chunks (100%), 1 failed, ")
    quiet = io.StringIO()
    Progress("reading", 5, "files", enabled=True, every_s=3600, stream=quiet).update(5)
    assert quiet.getvalue() == ""  # a build quicker than the interval prints nothing
