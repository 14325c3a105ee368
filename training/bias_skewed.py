"""python -m training bias_skewed: the story GPT fine-tuned on a world where 80% of doctors are "he" (see training.bias)."""

from training.bias import make_trainer

TRAINER = make_trainer("bias_skewed", 0.8)
