"""Values as the loaders keep them: what Terraform marks sensitive is gone from every copy of it."""

from __future__ import annotations

from typing import Any

import pytest

from nhi_toolkit.loaders.common import clean_values

SECRET = "CANARY-copy-zq"


@pytest.mark.parametrize(("marked", "copies"), [
    ("tags", ("tags_all",)), ("tags_all", ("tags",)),
    ("labels", ("effective_labels", "terraform_labels")), ("terraform_labels", ("labels", "effective_labels")),
])
def test_a_key_marked_in_one_copy_is_dropped_from_all(marked: str, copies: tuple[str, ...]) -> None:
    tags = {"owner": SECRET, "expires_at": "2027-01-01"}
    values = {name: dict(tags) for name in (marked, *copies)}
    out = clean_values(values, {marked: {"owner": True}})
    assert SECRET not in repr(out)
    assert all(out[name] == {"expires_at": "2027-01-01"} for name in (marked, *copies))


def test_a_wholly_sensitive_copy_drops_the_others_whole() -> None:
    values: dict[str, Any] = {"name": "u", "tags": {"owner": SECRET}, "tags_all": {"owner": SECRET}}
    assert clean_values(values, {"tags": True}) == {"name": "u"}


def test_unmarked_copies_are_kept_as_they_are() -> None:
    values = {"tags": {"owner": "ana"}, "tags_all": {"owner": "ana"}}
    assert clean_values(values, {"name": True}) == values


def test_sensitive_metadata_names_marked_paths_never_values() -> None:
    from nhi_toolkit.loaders.common import sensitive_metadata

    assert sensitive_metadata(None) == {} and sensitive_metadata({}) == {} and sensitive_metadata(False) == {}
    assert sensitive_metadata({"tags": {"owner": False}, "secret": False}) == {}
    assert sensitive_metadata(True) == {"sensitive_paths": ((),)}
    assert sensitive_metadata({"tags": {"owner": True}, "secret": True, "list": [False, True]}) == {
        "sensitive_paths": (("list", "1"), ("secret",), ("tags", "owner"))}
    # Below the third step only the map at that depth is named.
    assert sensitive_metadata({"a": {"b": {"c": {"d": True}}}}) == {"sensitive_paths": (("a", "b", "c"),)}
    assert sensitive_metadata({"secret": True}, "00000001") == {"deposed": "00000001",
                                                                  "sensitive_paths": (("secret",),)}
    assert sensitive_metadata(None, "") == {} and sensitive_metadata(True, "k") == {"deposed": "k",
                                                                                     "sensitive_paths": ((),)}
