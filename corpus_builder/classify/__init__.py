"""A learned quality classifier: hashed character n-grams, logistic regression, ranking metrics.

The project's fastText distribution (`fasttext-predict`) cannot train, so the model here is our own
linear one in numpy: deterministic for a given seed and inputs, one `.npz` file, no new dependency.
Libraries floor: nothing here imports config/, stages/ or run/.
"""
