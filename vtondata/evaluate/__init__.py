"""Judging masks against ground truth (DESIGN section 9; docs/evaluation.md).

``metrics``: per-sample scores; ``forms``: the old garment's form and
pose-normalised shape features; ``leakage``: the form-leakage AUC;
``sources``: masks and annotations on disk; ``run``: the whole comparison
``vtondata eval-masks`` prints; ``table``: its rich table.
"""
