from __future__ import annotations

from fastapi_lint.suppression import parse_suppressions


def test_line_codes_and_bare():
    s = parse_suppressions("a = 1  # noqa: FAPI101,FAPI102\nb = 2  # NOQA\nc = 3  # noqa:FAPI3 FAPI4\n")
    assert s.is_suppressed(1, "FAPI101") and s.is_suppressed(1, "FAPI102")
    assert not s.is_suppressed(1, "FAPI103")
    assert s.is_suppressed(2, "FAPI999")
    assert s.is_suppressed(3, "FAPI301") and s.is_suppressed(3, "FAPI401")
    assert not s.is_suppressed(4, "FAPI101")


def test_noqa_inside_a_string_is_not_a_comment():
    s = parse_suppressions('x = "# noqa"\n')
    assert not s.is_suppressed(1, "FAPI101")


def test_file_level():
    s = parse_suppressions("# fastapi-lint: noqa: FAPI101\nx = 1\n")
    assert s.is_suppressed(2, "FAPI101") and not s.is_suppressed(2, "FAPI102")
    assert parse_suppressions("# fastapi-lint: noqa\n").is_suppressed(9, "FAPI305")


def test_untokenizable_source_falls_back_to_a_line_scan():
    s = parse_suppressions('x = """unterminated  # noqa\n')
    assert s.is_suppressed(1, "FAPI101")


def test_only_the_lines_with_findings_are_looked_at(monkeypatch) -> None:
    """Tokenizing is for files whose finding lines (or file-level comment) mention noqa."""
    import fastapi_lint.suppression as suppression

    source = "a = 1\nb = 2  # noqa: FAPI101\n"
    tokenized = []
    real = suppression._comments
    monkeypatch.setattr(suppression, "_comments", lambda text: tokenized.append(1) or real(text))
    assert not suppression.parse_suppressions(source, [1]).is_suppressed(1, "FAPI101")
    assert tokenized == []
    assert suppression.parse_suppressions(source, [2]).is_suppressed(2, "FAPI101")
    assert tokenized == [1]
    whole_file = "# fastapi-lint: noqa: FAPI1\na = 1\n"
    assert suppression.parse_suppressions(whole_file, [2]).is_suppressed(2, "FAPI101")


# -- reviews made with other tools (ruff/flake8-bandit S, bandit B, flake8-async ASYNC) --------

def test_ruff_bandit_code_suppresses_the_equivalent_rule():
    s = parse_suppressions('cur.execute(f"SELECT {x}")  # noqa: S608\n')
    assert s.is_suppressed(1, "FAPI302")
    assert not s.is_suppressed(1, "FAPI301")


def test_flake8_async_codes_suppress_the_blocking_rules():
    source = ("time.sleep(1)  # noqa: ASYNC251\n"
              "requests.get(u)  # noqa: ASYNC210\n"
              "open(p)  # noqa: ASYNC230\n"
              "subprocess.run(c)  # noqa: ASYNC221\n")
    s = parse_suppressions(source)
    assert s.is_suppressed(1, "FAPI101") and not s.is_suppressed(1, "FAPI104")
    assert s.is_suppressed(2, "FAPI102")
    assert s.is_suppressed(3, "FAPI104")
    assert s.is_suppressed(4, "FAPI103")


def test_equivalents_mix_with_fastapi_lint_codes():
    s = parse_suppressions("x = pickle.loads(b)  # noqa: E501, S301, FAPI101\n")
    assert s.is_suppressed(1, "FAPI306") and s.is_suppressed(1, "FAPI101")
    assert not s.is_suppressed(1, "FAPI305")


def test_nosec_with_test_ids():
    s = parse_suppressions('password = "hunter2"  # nosec B105\nq = "SELECT %s" % t  # nosec: B608, B105\n')
    assert s.is_suppressed(1, "FAPI305") and not s.is_suppressed(1, "FAPI302")
    assert s.is_suppressed(2, "FAPI302") and s.is_suppressed(2, "FAPI305")


def test_bare_nosec_suppresses_only_rules_bandit_has_an_equivalent_of():
    s = parse_suppressions("data = pickle.load(f)  # nosec\n")
    for code in ("FAPI301", "FAPI302", "FAPI305", "FAPI306", "FAPI307", "FAPI112"):
        assert s.is_suppressed(1, code)
    assert not s.is_suppressed(1, "FAPI310") and not s.is_suppressed(1, "FAPI101")


def test_nosec_inside_a_string_is_not_a_comment():
    s = parse_suppressions('x = "# nosec"; pickle.loads(b)\n')
    assert not s.is_suppressed(1, "FAPI306")


def test_other_tools_can_be_ignored():
    source = "pickle.loads(b)  # noqa: S301\npickle.loads(b)  # nosec\npickle.loads(b)  # noqa\n"
    s = parse_suppressions(source, honor_other_tools=False)
    assert not s.is_suppressed(1, "FAPI306") and not s.is_suppressed(2, "FAPI306")
    assert s.is_suppressed(3, "FAPI306")  # a bare noqa is still everyone's


def test_a_nosec_line_is_tokenized_only_when_a_finding_is_on_it(monkeypatch) -> None:
    import fastapi_lint.suppression as suppression

    source = "a = 1\nb = pickle.loads(x)  # nosec\n"
    tokenized = []
    real = suppression._comments
    monkeypatch.setattr(suppression, "_comments", lambda text: tokenized.append(1) or real(text))
    assert not suppression.parse_suppressions(source, [1]).is_suppressed(1, "FAPI306")
    assert tokenized == []
    assert suppression.parse_suppressions(source, [2]).is_suppressed(2, "FAPI306")
    assert tokenized == [1]
    assert not suppression.parse_suppressions(source, [2], honor_other_tools=False).is_suppressed(2, "FAPI306")


def test_every_equivalent_names_known_rules():
    from fastapi_lint.registry import all_rules

    known = set(all_rules())
    for entry in suppression_module().EQUIVALENTS:
        assert entry.codes and set(entry.codes) <= known, entry


def test_the_docs_table_is_the_mapping():
    import os

    from fastapi_lint import docs

    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "docs", "suppressions.md")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert docs.suppressions_table() in text


def suppression_module():
    import fastapi_lint.suppression as suppression

    return suppression
