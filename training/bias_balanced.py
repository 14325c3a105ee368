"""python -m training bias_balanced: the same fine-tuning on a world where doctors are "he" or "she" 50/50 (see training.bias)."""

from training.bias import make_trainer

TRAINER = make_trainer("bias_balanced", 0.5)
