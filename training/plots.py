"""Pictures for people: confusion matrices and reliability diagrams (matplotlib, no display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def confusion_png(confusion: dict[str, list[Any]], path: Path, title: str) -> None:
    names = confusion["labels"]  # predicted classes; true rows may add a group label ("glass")
    true_names = confusion.get("rows", names)
    cm = np.asarray(confusion["matrix"], dtype=float)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    fig, ax = plt.subplots(figsize=(1 + 0.6 * len(names), 1 + 0.55 * len(true_names)))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right")
    ax.set_yticks(range(len(true_names)), true_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(true_names)):
        for j in range(len(names)):
            if cm[i, j]:
                ax.text(
                    j,
                    i,
                    str(int(cm[i, j])),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if norm[i, j] > 0.5 else "black",
                )
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def reliability_png(confidence: np.ndarray, correct: np.ndarray, path: Path, title: str, bins: int = 15) -> None:
    edges = np.linspace(0, 1, bins + 1)
    centers, accs, counts = [], [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (confidence > lo) & (confidence <= hi)
        if sel.any():
            centers.append(confidence[sel].mean())
            accs.append(correct[sel].mean())
            counts.append(int(sel.sum()))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    ax.plot(centers, accs, "o-", label="model")
    for c, a, n in zip(centers, accs, counts, strict=True):
        ax.annotate(str(n), (c, a), textcoords="offset points", xytext=(0, 6), fontsize=7, ha="center")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.legend(loc="upper left")
    ax.set_title(f"Reliability: {title}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def risk_coverage_png(
    curves: dict[str, dict[str, list[float]]],
    path: Path,
    title: str,
    targets: dict[str, tuple[float, float]] | None = None,
    xlabel: str = "coverage (share of photos answered without a question)",
    ylabel: str = "wrong bin among those answered (%)",
) -> None:
    """Risk against coverage, one line per photo set; `targets` marks (coverage, risk) points a curve
    should pass below and to the right of."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, curve in curves.items():
        ax.plot(curve["coverage"], [100 * r for r in curve["risk"]], label=name)
    for name, (coverage, risk) in (targets or {}).items():
        ax.plot([coverage], [100 * risk], "k*", markersize=9)
        ax.annotate(name, (coverage, 100 * risk), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
