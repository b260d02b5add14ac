"""Scene planning (spec 30 §8.1) and prompts (§8.2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reseller_core.domain.lifestyle import (
    APPAREL,
    ELECTRONICS,
    FAMILIES,
    FURNITURE,
    GENERAL,
    SceneFacts,
    plan_scenes,
    scene_family,
    scene_prompt,
)


@pytest.mark.parametrize(
    ("texts", "family"),
    [
        (["Vintage Levi's Jeans", None, "Clothing"], APPAREL),
        (["Gaming laptop 15in"], ELECTRONICS),  # "laptop" is not apparel's "top"
        (["Oak side TABLE"], FURNITURE),
        (["Running shoe"], APPAREL),  # plural keyword "shoes"
        (["Two lamps"], FURNITURE),  # plural text
        (["Desk lamp with phone charger"], FURNITURE),  # first family in order wins
        (["Stoneware teapot"], GENERAL),
        ([None, "", "   "], GENERAL),
        (["Dresser"], FURNITURE),
        (["Tabletop game"], GENERAL),  # no whole word
    ],
)
def test_family_by_whole_words(texts: list[str | None], family: object) -> None:
    assert scene_family(texts) is family


@given(st.sampled_from(FAMILIES), st.data())
@settings(max_examples=60)
def test_any_keyword_in_any_text_selects_a_family_no_later_than_its_own(
    family: object, data: st.DataObject
) -> None:
    keyword = data.draw(st.sampled_from(sorted(family.keywords)))  # type: ignore[attr-defined]
    prefix = data.draw(st.text(alphabet="xyz ", max_size=10))
    chosen = scene_family([f"{prefix} {keyword.upper()}!"])
    assert FAMILIES.index(chosen) <= FAMILIES.index(family)  # type: ignore[arg-type]


def test_plan_scenes_all_or_one() -> None:
    scenes = plan_scenes(GENERAL)
    assert [(s.scene_key, s.variant_index) for s in scenes] == [
        ("contextual_hero", 1),
        ("alternate_context", 2),
        ("editorial_clean", 3),
    ]
    (only,) = plan_scenes(APPAREL, "casual_lifestyle")
    assert only.variant_index == 2
    with pytest.raises(ValueError, match="not a scene of the apparel"):
        plan_scenes(APPAREL, "hero_room")


def test_prompt_states_facts_and_rules_without_blanks() -> None:
    scene = plan_scenes(ELECTRONICS)[0]
    prompt = scene_prompt(ELECTRONICS, scene, SceneFacts(title="Pixel 8", brand=" ", color="black"))
    assert "- title: Pixel 8" in prompt and "- color: black" in prompt
    assert "- brand:" not in prompt
    assert "no text overlays, labels or price tags" in prompt
    assert "ports, buttons, screens and brand marks are preserved" in prompt
    assert scene.brief in prompt
