import pytest

from copilot.errors import ModelLoadError
from copilot.generation.models import resolve_language_model
from index.embeddings import resolve_embedder
from index.errors import EmbedderLoadError


def test_an_unknown_language_model_says_what_where_and_how(tmp_path) -> None:
    with pytest.raises(ModelLoadError) as exc:
        resolve_language_model("acme/no-such-model", home=tmp_path)
    message = str(exc.value)
    assert "acme/no-such-model" in message and "Hugging Face cache" in message and "--model" in message


def test_an_unknown_embedder_says_what_where_and_how() -> None:
    with pytest.raises(EmbedderLoadError, match="acme/no-such-embedder.*looked in"):
        resolve_embedder("acme/no-such-embedder")


def test_a_local_model_directory_is_used_as_is(tmp_path) -> None:
    assert resolve_language_model(str(tmp_path)) == tmp_path


def test_the_default_embedder_resolves_to_the_bundled_package() -> None:
    from index.embeddings import DEFAULT_EMBEDDER

    assert (resolve_embedder(DEFAULT_EMBEDDER) / "config.json").is_file()
