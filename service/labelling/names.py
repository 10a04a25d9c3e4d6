"""What the staff page calls each label of a label set other than the classifier's (whose labels it
names from the taxonomy, as it always has): German and English, in the set's order, which is the
order of the page's number keys."""

from __future__ import annotations

from zerowaste.datasets.label_sets import CLASSIFIER, CLEAN, LABEL_SETS, SEVERAL, UNUSABLE
from zerowaste.model.contamination import NAMES

# The contaminants are named by the model's own table (what a household reads); these are the rest.
OWN_NAMES: dict[str, dict[str, str]] = {
    CLEAN: {"de": "sauber (nur Bioabfall)", "en": "clean (organic waste only)"},
    SEVERAL: {"de": "mehrere Fremdstoffe", "en": "several contaminants"},
    UNUSABLE: {"de": "nicht beurteilbar", "en": "cannot be judged"},
}


def page_label_sets() -> dict[str, list[dict[str, str]]]:
    """Label set -> its labels as {"key", "de", "en"}. A label without a name fails here, at start."""
    names = dict(OWN_NAMES)
    for contaminant, name in NAMES.items():
        names[contaminant] = name
    return {
        spec.name: [{"key": label, **names[label]} for label in spec.allowed]
        for spec in LABEL_SETS.values()
        if spec != CLASSIFIER
    }
