"""Redaction: every occurrence of a known secret becomes ********, even split across reads."""

from __future__ import annotations

from vcfix.redact import MASK, Redactor

SECRET = "S3cret!pw"


def test_redact_replaces_every_occurrence() -> None:
    red = Redactor([SECRET])
    assert red.redact(f"a {SECRET} b {SECRET}") == f"a {MASK} b {MASK}"
    assert red.contains_secret(f"x{SECRET}y")
    assert not red.contains_secret("nothing here")


def test_longer_secret_masked_whole_when_it_contains_another() -> None:
    red = Redactor(["abc", "abcdef"])
    assert red.redact("xxabcdefyy abc") == f"xx{MASK}yy {MASK}"


def test_empty_and_repeated_secrets_are_ignored() -> None:
    red = Redactor(["", SECRET, SECRET])
    red.add(None)
    assert red.secrets == (SECRET,)
    assert Redactor().redact("plain") == "plain"


def test_stream_masks_a_secret_split_across_two_chunks() -> None:
    stream = Redactor([SECRET]).stream()
    out = stream.feed("Enter password: S3c") + stream.feed("ret!pw done\n") + stream.flush()
    assert SECRET not in out
    assert out == f"Enter password: {MASK} done\n"


def test_stream_every_split_point_gives_the_same_text_as_a_whole_pass() -> None:
    red = Redactor([SECRET, "hunter2"])
    text = f"user admin pw {SECRET} then S3c (not it) and hunter2{SECRET}hunter end S3cret"
    expected = red.redact(text)
    for i in range(len(text) + 1):
        for j in range(i, len(text) + 1):
            stream = red.stream()
            out = (stream.feed(text[:i]) + stream.feed(text[i:j]) + stream.feed(text[j:])
                   + stream.flush())
            assert out == expected, (i, j)


def test_stream_releases_a_false_prefix_once_it_cannot_be_the_secret() -> None:
    stream = Redactor([SECRET]).stream()
    first = stream.feed("value S3c")
    assert first == "value "  # "S3c" could start the secret: held back
    assert stream.feed("ond") == "S3cond"  # it did not
    assert stream.flush() == ""


def test_stream_one_character_at_a_time() -> None:
    red = Redactor([SECRET])
    stream = red.stream()
    text = f"a{SECRET}b{SECRET[:-1]}"
    out = "".join(stream.feed(ch) for ch in text) + stream.flush()
    assert out == f"a{MASK}b{SECRET[:-1]}"


def test_redact_obj_and_bytes() -> None:
    red = Redactor([SECRET])
    data = {"reason": f"bad {SECRET}", "lines": [SECRET, 3], SECRET: None}
    assert red.redact_obj(data) == {"reason": f"bad {MASK}", "lines": [MASK, 3], MASK: None}
    assert red.redact_bytes(f"pw={SECRET}".encode()) == f"pw={MASK}".encode()
