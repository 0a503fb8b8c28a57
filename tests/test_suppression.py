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
