"""The 42 code-defined storefront theme presets (spec 40 §4, Appendix A).

Read-only and identical for every user; a storefront stores only the preset id. An unknown
stored id renders with the default preset.
"""

from __future__ import annotations

from typing import Final

import msgspec

DEFAULT_THEME_ID: Final = "desert-clay"


class ThemeColors(msgspec.Struct, frozen=True, kw_only=True):
    """Seven ``#rrggbb`` colours and the hero overlay as ``rgba(r, g, b, a)``."""

    page_background: str
    surface_background: str
    text: str
    muted_text: str
    primary_button: str
    secondary_accent: str
    border: str
    hero_overlay: str


class ThemePreset(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    label: str
    colors: ThemeColors


def _preset(theme_id: str, label: str, hexes: str, overlay: str) -> ThemePreset:
    values = dict(zip(_HEX_KEYS, hexes.split(), strict=True))
    return ThemePreset(id=theme_id, label=label, colors=ThemeColors(**values, hero_overlay=overlay))


_HEX_KEYS: Final = (
    "page_background",
    "surface_background",
    "text",
    "muted_text",
    "primary_button",
    "secondary_accent",
    "border",
)

THEMES: Final[tuple[ThemePreset, ...]] = (
    _preset(
        "desert-clay",
        "Desert Clay",
        "#f6ecdc #fff9f0 #34261b #7c6654 #a45d3b #d4a373 #deccb7",
        "rgba(52, 38, 27, 0.48)",
    ),
    _preset(
        "linen-ink",
        "Linen Ink",
        "#f7f2e9 #fffaf4 #1f1f1d #665b50 #b06c3b #d29b66 #ded2c4",
        "rgba(31, 31, 29, 0.44)",
    ),
    _preset(
        "olive-studio",
        "Olive Studio",
        "#f3f1e8 #fcfaf4 #2e3828 #66715d #657244 #9ca36d #d5d2c4",
        "rgba(46, 56, 40, 0.45)",
    ),
    _preset(
        "market-blue",
        "Market Blue",
        "#f4efe6 #fff9f0 #21324f #6c7280 #9b4f32 #cc8962 #ddd3c7",
        "rgba(33, 50, 79, 0.45)",
    ),
    _preset(
        "terracotta-paper",
        "Terracotta Paper",
        "#f8efe8 #fffaf5 #3c2418 #7a6256 #b85c38 #df9b7c #e4d1c6",
        "rgba(60, 36, 24, 0.45)",
    ),
    _preset(
        "forest-canvas",
        "Forest Canvas",
        "#eff1ea #f8fbf4 #1f3528 #627163 #2f6b4f #7f9b70 #d0d9cf",
        "rgba(31, 53, 40, 0.46)",
    ),
    _preset(
        "coastal-sand",
        "Coastal Sand",
        "#eef2f1 #fbf7ef #29485c #6b7d86 #8b6f52 #b89a79 #d5d9d8",
        "rgba(41, 72, 92, 0.42)",
    ),
    _preset(
        "coral-oat",
        "Coral Oat",
        "#fbf0ea #fff8f2 #4a2f28 #836960 #cb6c5b #e7a68b #ead7ce",
        "rgba(74, 47, 40, 0.42)",
    ),
    _preset(
        "denim-pine",
        "Denim Pine",
        "#eef1f5 #f8fbfc #21384d #617282 #315547 #709684 #d3dbe3",
        "rgba(33, 56, 77, 0.45)",
    ),
    _preset(
        "espresso-cream",
        "Espresso Cream",
        "#f6efe7 #fffbf4 #2b1c16 #6d5a51 #7e4d2f #b78a53 #ddd0c2",
        "rgba(43, 28, 22, 0.48)",
    ),
    _preset(
        "stone-berry",
        "Stone Berry",
        "#f2efeb #fbf8f3 #332e31 #736a70 #8d4055 #c58a9d #d8d2d3",
        "rgba(51, 46, 49, 0.46)",
    ),
    _preset(
        "slate-gold",
        "Slate Gold",
        "#eef0f2 #faf7ef #28323c #69747d #a8822c #d1b25a #d1d7dc",
        "rgba(40, 50, 60, 0.46)",
    ),
    _preset(
        "sage-sunlight",
        "Sage Sunlight",
        "#f2f4ea #fffdf4 #394636 #73806f #8b9a4a #d6b94f #d8dccb",
        "rgba(57, 70, 54, 0.42)",
    ),
    _preset(
        "brick-navy",
        "Brick Navy",
        "#f4eee7 #fffaf2 #1f3450 #6b7280 #984b3c #c98668 #dad1c9",
        "rgba(31, 52, 80, 0.45)",
    ),
    _preset(
        "sea-glass",
        "Sea Glass",
        "#ecf3f1 #fbfaf6 #234847 #67807d #2d8a7c #8bbeb6 #d0ddda",
        "rgba(35, 72, 71, 0.42)",
    ),
    _preset(
        "graphite-mint",
        "Graphite Mint",
        "#eef0f1 #fdfdfc #20272b #667075 #57a18d #9ed5c5 #d2d7da",
        "rgba(32, 39, 43, 0.46)",
    ),
    _preset(
        "rust-cedar",
        "Rust Cedar",
        "#f6efe9 #fff9f3 #3a2a24 #786660 #a85532 #c78458 #ddd0c6",
        "rgba(58, 42, 36, 0.45)",
    ),
    _preset(
        "meadow-canvas",
        "Meadow Canvas",
        "#eef3eb #fbfaf4 #2d3c2e #657465 #5a7f45 #95b072 #d2dbcf",
        "rgba(45, 60, 46, 0.44)",
    ),
    _preset(
        "dusk-copper",
        "Dusk Copper",
        "#eef0f5 #fbf9f3 #2e3c5b #6d768b #b36844 #d29a75 #d4d9e4",
        "rgba(46, 60, 91, 0.45)",
    ),
    _preset(
        "cobalt-paper",
        "Cobalt Paper",
        "#eef2fa #fffdf7 #1d3f8a #69758f #c55a2d #dd8a5e #d5dced",
        "rgba(29, 63, 138, 0.42)",
    ),
    _preset(
        "mulberry-ash",
        "Mulberry Ash",
        "#f3eef5 #fdf8fe #2e2035 #7a6e80 #7b3f7e #b87db8 #ddd4e2",
        "rgba(46, 32, 53, 0.46)",
    ),
    _preset(
        "indigo-parchment",
        "Indigo Parchment",
        "#eef0f8 #fdfcf7 #252d5c #6a6f8a #8b6a2e #c9a458 #d4d8ec",
        "rgba(37, 45, 92, 0.44)",
    ),
    _preset(
        "amber-slate",
        "Amber Slate",
        "#f5f0e8 #fffcf4 #2c3040 #6d7280 #b87228 #dda84e #dcd8ce",
        "rgba(44, 48, 64, 0.46)",
    ),
    _preset(
        "rose-ivory",
        "Rose Ivory",
        "#faf0f0 #fffaf8 #4a2828 #8a6a6a #c05060 #e0909a #eedede",
        "rgba(74, 40, 40, 0.44)",
    ),
    _preset(
        "pewter-gold",
        "Pewter Gold",
        "#f0f0ec #fafaf5 #2a2a28 #707068 #9a8030 #c8b058 #d8d8d0",
        "rgba(42, 42, 40, 0.48)",
    ),
    _preset(
        "fern-cream",
        "Fern Cream",
        "#f0f5ec #fbfdf7 #263020 #68786a #4a7a38 #88b06a #d2dece",
        "rgba(38, 48, 32, 0.44)",
    ),
    _preset(
        "twilight-sand",
        "Twilight Sand",
        "#f2f0f8 #fdfcfe #2c2848 #706c88 #8a6848 #c0a078 #dcdae8",
        "rgba(44, 40, 72, 0.44)",
    ),
    _preset(
        "tangerine-smoke",
        "Tangerine Smoke",
        "#fdf0e8 #fffaf4 #3a2010 #806050 #d05818 #e8904a #ead0bc",
        "rgba(58, 32, 16, 0.46)",
    ),
    _preset(
        "moss-linen",
        "Moss Linen",
        "#f0f2e8 #fbfcf5 #303828 #6a7260 #607040 #90a060 #d4d8ca",
        "rgba(48, 56, 40, 0.44)",
    ),
    _preset(
        "iron-rose",
        "Iron Rose",
        "#f2eef0 #fdfbfc #302028 #786a70 #904858 #c07880 #dcd4d8",
        "rgba(48, 32, 40, 0.46)",
    ),
    _preset(
        "teal-parchment",
        "Teal Parchment",
        "#eaf5f3 #fbfef8 #1a3c38 #5a7870 #207868 #58a898 #cce0dc",
        "rgba(26, 60, 56, 0.44)",
    ),
    _preset(
        "navy-wheat",
        "Navy Wheat",
        "#eef1f8 #fffef8 #182040 #5a6278 #a07820 #d0ac50 #d4daec",
        "rgba(24, 32, 64, 0.46)",
    ),
    _preset(
        "burgundy-fog",
        "Burgundy Fog",
        "#f5eef0 #fdf8f8 #380c18 #7a606a #903040 #c07080 #e0d0d4",
        "rgba(56, 12, 24, 0.48)",
    ),
    _preset(
        "glacier-oak",
        "Glacier Oak",
        "#eef4f8 #fbfefe #1c3848 #5a7888 #8a6030 #b89060 #d0dce4",
        "rgba(28, 56, 72, 0.44)",
    ),
    _preset(
        "copper-mist",
        "Copper Mist",
        "#f4eeec #fdfaf8 #362820 #7a6860 #c07040 #d8a070 #ddd4d0",
        "rgba(54, 40, 32, 0.46)",
    ),
    _preset(
        "plum-grain",
        "Plum Grain",
        "#f2ecf5 #fdf8fe #2c1838 #7a6080 #6a2870 #a868b0 #ddd0e4",
        "rgba(44, 24, 56, 0.46)",
    ),
    _preset(
        "cedar-frost",
        "Cedar Frost",
        "#f0f4f4 #fbfeff #1e3038 #607078 #8a5028 #b88058 #d0dce0",
        "rgba(30, 48, 56, 0.44)",
    ),
    _preset(
        "warm-concrete",
        "Warm Concrete",
        "#f0ece8 #faf8f4 #282420 #706a64 #a87848 #d0a870 #dcd8d0",
        "rgba(40, 36, 32, 0.48)",
    ),
    _preset(
        "citrus-dusk",
        "Citrus Dusk",
        "#fdf4e8 #fffdf5 #302008 #807060 #c87808 #e8b040 #eadcc8",
        "rgba(48, 32, 8, 0.46)",
    ),
    _preset(
        "storm-clay",
        "Storm Clay",
        "#eef0f4 #fbfcfe #202838 #606870 #8a6850 #b89878 #d4d8e0",
        "rgba(32, 40, 56, 0.46)",
    ),
    _preset(
        "pine-amber",
        "Pine Amber",
        "#edf2e8 #fbfdf5 #1e2e18 #5c6c58 #a07018 #d0a840 #ccd8c8",
        "rgba(30, 46, 24, 0.46)",
    ),
    _preset(
        "charcoal-blush",
        "Charcoal Blush",
        "#f0eeed #fdfcfb #202020 #706868 #b05870 #d898a0 #ddd8d8",
        "rgba(32, 32, 32, 0.48)",
    ),
)
"""Catalogue order; the first is the default."""

THEMES_BY_ID: Final[dict[str, ThemePreset]] = {theme.id: theme for theme in THEMES}


def theme_for(theme_id: str | None) -> ThemePreset:
    """The preset to render with: the default for an unknown (removed) id."""
    return THEMES_BY_ID.get(theme_id or "", THEMES_BY_ID[DEFAULT_THEME_ID])
