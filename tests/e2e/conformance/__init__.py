"""The conformance matrix: which (inbound API, provider, feature) cells the end-to-end tests prove.

Tests say what they prove with ``@pytest.mark.conformance("feature", ...)`` (see ``tags.py``);
``plugin.py`` collects their outcomes and, after a full run of the suite, writes
``docs/conformance.md`` (rendered by ``render.py``). The rows and columns are in ``features.py``.
"""
