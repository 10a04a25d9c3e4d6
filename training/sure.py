"""Fit the `sure` rule (model/uncertainty.py) on validation photos of both domains.

The rule answers without a question when the answer group's probability reaches `min_confidence`
and the photo lies within `max_distance` of the training photos. The two thresholds are chosen on the
validation photos so that sure answers send at most `max_risk[domain]` of each domain's photos to the
wrong bin, and as many photos as possible get a sure answer (the phone photos' coverage first: they
are what citizens send). The answer groups and the bins come from a municipality's rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from zerowaste.model import taxonomy
from zerowaste.model.uncertainty import SureRule, answer_confidence

# Wrong bins a sure answer may cost, per domain: 1 in 100 studio photos, 3 in 100 phone photos.
DEFAULT_MAX_RISK: dict[str, float] = {"studio": 0.01, "phone": 0.03}


def municipality_bins(municipality: str) -> dict[str, str]:
    """Class -> bin (stream, and container colour for glass) under a municipality's rules file."""
    from zerowaste.service.rules import read_rules, rules_path

    return read_rules(rules_path(municipality)).bin_of_class()


def answer_groups(bin_of: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
    """Classes that share a bin, in taxonomy order (metal and plastic: the yellow bin)."""
    by_bin: dict[str, list[str]] = {}
    for key in taxonomy.LABELS:
        by_bin.setdefault(bin_of[key], []).append(key)
    return tuple(tuple(keys) for keys in by_bin.values() if len(keys) > 1)


def right_bin(probs: np.ndarray, labels: Sequence[str], bin_of: Mapping[str, str]) -> np.ndarray:
    """(N,) whether the top class goes in the label's bin (any member's, for a group label)."""
    keys = [taxonomy.LABELS[int(i)] for i in np.asarray(probs).argmax(1)]
    return np.array(
        [
            bin_of[k] in {bin_of[taxonomy.LABELS[m]] for m in taxonomy.members(lbl)}
            for k, lbl in zip(keys, labels, strict=True)
        ],
        dtype=bool,
    )


def fit_sure_rule(
    probs: np.ndarray,
    labels: Sequence[str],
    domains: Sequence[str],
    distance: np.ndarray | None,
    bin_of: Mapping[str, str],
    max_risk: Mapping[str, float] = DEFAULT_MAX_RISK,
) -> tuple[SureRule, dict[str, Any]]:
    """The thresholds with the most sure phone photos (then studio photos) whose validation risk
    stays within `max_risk` in every domain; returns the rule and what it achieved per domain. With a
    distance, its threshold is at most the validation photos' 99th percentile."""
    groups = answer_groups(bin_of)
    conf = answer_confidence(probs, taxonomy.LABELS, groups)
    right = right_bin(probs, labels, bin_of)
    dom = np.asarray(domains)
    # Coverage counts in this order: phone photos first (what citizens send), then the rest.
    present = sorted((d for d in max_risk if (dom == d).any()), key=lambda d: (d != "phone", d))
    conf_grid = np.unique(np.concatenate([np.quantile(conf, np.linspace(0, 1, 201)), [0.5, 0.6, 0.8, 0.9]]))
    dist_grid: list[float | None] = [None]
    if distance is not None:
        # A photo further from the training photos than all but 1 % of the validation photos is never
        # sure, whatever validation says about the rest: beyond the data the model was fitted and
        # checked on, a confident softmax is no evidence (a grey square, a bucket nobody trained on).
        dist_grid = [float(v) for v in np.unique(np.quantile(distance, np.linspace(0.3, 0.99, 70)))]
    best: tuple[tuple[float, ...], float, float | None] | None = None
    for d_max in dist_grid:
        near = np.ones(len(conf), dtype=bool) if d_max is None else np.asarray(distance) <= d_max
        for c_min in conf_grid:
            sure = near & (conf >= c_min)
            ok, cover = True, []
            for d in present:
                sel = dom == d
                n_sure = int((sure & sel).sum())
                risk = float((~right[sure & sel]).mean()) if n_sure else 0.0
                if risk > max_risk[d]:
                    ok = False
                    break
                cover.append(n_sure / int(sel.sum()))
            if not ok or not any(cover):
                continue  # over the risk, or a threshold no validation photo reaches: nothing vouches for it
            # Phone coverage first; then studio; then the looser rule (smaller threshold, no distance cut).
            key = (*cover, -float(c_min), 0.0 if d_max is None else -1.0)
            if best is None or key > best[0]:
                best = (key, float(c_min), d_max)
    if best is None:  # nothing meets the risk: nothing is sure (every answer asks)
        rule = SureRule(1.0 + 1e-9, None, groups)
    else:
        rule = SureRule(best[1], best[2], groups)
    sure = rule(probs, taxonomy.LABELS, distance)
    report: dict[str, Any] = {"max_risk": dict(max_risk)}
    for d in present:
        sel = dom == d
        report[d] = {
            "n": int(sel.sum()),
            "coverage": float(sure[sel].mean()),
            "risk": float((~right[sure & sel]).mean()) if (sure & sel).any() else 0.0,
            "right_bin_all": float(right[sel].mean()),
        }
    return rule, report
