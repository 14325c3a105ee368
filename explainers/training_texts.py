"""Built-in texts for "train one yourself": written for Glassbox (all originals), plus our generated stories.

The poem, the recipe and the list of names were written by hand for this project. The stories come from the
story grammar (`explainers/corpus.py`) with a seed the story GPT never trained on, so fine-tuning our model on
them is fine-tuning on new text of a kind it knows. The 30, 300 and 3,000 story texts are nested (the first 30
of the 300 are the 30), so comparing them changes only how much text the model sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from explainers import corpus

POEM = """\
Before I wake, when stars are done,
the town gets up, and one by one:
The baker wakes before the sun,
the baker bakes till bread is done.
The miller wakes before the light,
the miller grinds the flour white.
The fisher wakes before the tide,
the fisher rows the harbour wide.
The farmer wakes before the hen,
the farmer counts the sheep again.
The painter wakes before the bell,
the painter paints the garden well.
The tailor wakes before the frost,
the tailor finds the thread he lost.
The keeper wakes before the gulls,
the keeper lights the lamps on hulls.
The carter wakes before the rain,
the carter rolls along the lane.
The teacher wakes before the chime,
the teacher writes the morning rhyme.
The weaver wakes before the dew,
the weaver weaves the cloth of blue.
The shepherd wakes before the lark,
the shepherd walks out in the dark.
The mason wakes before the crows,
the mason lays the stones in rows.
The gardener wakes before the bees,
the gardener waters all the trees.
The ferryman wakes before the fog,
the ferryman steers round the bog.
And when the ferryman is done,
the baker wakes before the sun.
"""

RECIPE = """\
Lemon and thyme flatbreads (makes 6)

You need:
250 g plain flour
1 teaspoon baking powder
half a teaspoon of salt
150 g plain yoghurt
2 tablespoons olive oil
the zest of 1 lemon
1 tablespoon fresh thyme leaves

1. Mix the flour, baking powder and salt in a large bowl.
2. Stir in the yoghurt, the olive oil, the lemon zest and half of the thyme.
3. Bring it together with your hands into a soft dough. If it is sticky, add a little flour.
4. Knead the dough on a floured table for 2 minutes, until it is smooth.
5. Cut the dough into 6 pieces and roll each piece into a thin round.
6. Heat a dry frying pan over a medium heat.
7. Cook each flatbread for 2 minutes on each side, until it puffs up and has brown spots.
8. Brush the hot flatbreads with a little olive oil and scatter over the rest of the thyme.
9. Serve warm, with soup, with cheese, or folded around a salad.

Tip: the dough keeps for a day in the fridge, wrapped in a clean cloth.
"""

# Invented names, one per line: no real person is meant. They share a few sounds (-ina, -wen, -o, Th-, Bel-)
# so that a model can pick up the style, and new names in the held-out part follow it.
NAMES = """\
Alwen
Bellamo
Corvina
Dalbrin
Elowen
Farrow
Gwenna
Halvor
Isolde
Jorrin
Kelwyn
Lirabel
Morwen
Nessa
Orrin
Pellamy
Quillon
Rowena
Selwyn
Thessaly
Ulmo
Vaelin
Wrenna
Yarrow
Zephine
Ambrel
Brannoc
Caddow
Dorrit
Emberlyn
Fennick
Galwen
Hollin
Ivanor
Jessamy
Korrin
Lorcan
Maelis
Nimbrel
Odrin
Perrin
Rilla
Sorrel
Tamsin
Tobiah
Undine
Varro
Willow
Ysolde
Zandor
Arlo
Bryony
Cressida
Dunstan
Elric
Fenna
Gideon
Halia
Isbel
Joryn
Kestrel
Linnet
Mabry
Nolwen
Oriel
Pippin
Rhoswen
Sable
Thorne
Ulric
Verity
Wystan
Amaris
Belwin
Calloway
Delphine
Everard
Florian
Gwendel
Hesper
Ingram
Jolene
Keziah
Lysander
Merrow
Norwen
Ottilie
Peregrin
Roswyn
Saffron
Tristan
Valora
Wendeline
Yestin
Zillah
"""


@dataclass(frozen=True)
class BuiltinText:
    key: str  # URL value
    label: str  # what the reader picks
    description: str  # one line under the picker


STORY_SIZES: tuple[int, ...] = (30, 300, 3000)
# Seeds no shipped model trained on (the story GPT used 0; its held-out measurements use 10_000_019).
STORY_TEXT_SEED = 20_261_201
STORY_HELDOUT_SEED = 20_261_202
STORY_HELDOUT_COUNT = 12

BUILTINS: dict[str, BuiltinText] = {
    t.key: t
    for t in (
        BuiltinText(
            "poem",
            "A short poem",
            f"{len(POEM.splitlines())} rhyming lines written for Glassbox: who wakes before whom.",
        ),
        BuiltinText("recipe", "A recipe", "Lemon and thyme flatbreads: a list of ingredients, then numbered steps."),
        BuiltinText(
            "names", "Made-up names", f"{len(NAMES.split())} invented names, one per line, with a family likeness."
        ),
        *(
            BuiltinText(
                f"stories{n}",
                f"{n:,} stories",
                f"{n:,} stories from our story grammar, new to our story model (a seed it never trained on).",
            )
            for n in STORY_SIZES
        ),
    )
}


def builtin_text(key: str) -> str:
    """The training text of a built-in choice (stories: one per line)."""
    if key == "poem":
        return POEM
    if key == "recipe":
        return RECIPE
    if key == "names":
        return NAMES
    if key.startswith("stories") and key.removeprefix("stories").isdecimal():
        n = int(key.removeprefix("stories"))
        if n in STORY_SIZES:
            return "\n".join(story_texts(n)) + "\n"
    raise KeyError(key)


@lru_cache(maxsize=len(STORY_SIZES))
def story_texts(n: int) -> tuple[str, ...]:
    return tuple(s.text for s in corpus.generate_stories(n, STORY_TEXT_SEED))


@lru_cache(maxsize=1)
def heldout_story_texts() -> tuple[str, ...]:
    """The held-out stories every story text is measured on (the same for 30, 300 and 3,000)."""
    return tuple(s.text for s in corpus.generate_stories(STORY_HELDOUT_COUNT, STORY_HELDOUT_SEED))
