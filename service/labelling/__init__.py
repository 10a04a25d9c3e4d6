"""The staff labelling queue: folders of unlabelled photos, two independent passes, resolution, export.

A folder is imported into a named queue; the model orders it (`model/uncertainty.py`: what a label
teaches most comes first). People label in passes, and the rules hold here, for the HTTP API and the
CLI alike:

- pass 1 comes first; pass 2 only on a photo with a pass-1 vote, and by someone else;
- nobody is shown another's vote before giving their own: batches of passes 1 and 2 carry no votes,
  no file name and no model guess, nothing that could anchor the label;
- pass 3 resolves a disagreement of passes 1 and 2, by a third person who does see both votes;
- votes are final: the same vote sent again changes nothing, a different one is refused.

A photo's final label is the agreed one, or the resolver's; only those are exported, as a labels file
(`datasets/labels.py`). Each queue has one label set (`datasets/label_sets.py`, kept in `label_queue`):
the classifier's by default, the bio-bin contamination set for disputed frames; votes, reports and
exports follow the queue's own. Errors here are this module's own; the HTTP layer maps them to status codes.
"""

from __future__ import annotations

from zerowaste.service.labelling.common import (
    CLAIM_S,
    DESCRIPTION,
    DISPLAY_MAX_SIDE,
    MAX_BATCH,
    PASSES,
    QUEUE_PATTERN,
    RESERVED_META,
    VERSION_PATTERN,
    InvalidRequest,
    LabellingError,
    LabelSetMismatch,
    UnknownLabel,
    UnknownPhoto,
    UnknownQueue,
    check_pass,
    check_queue_name,
    now,
)
from zerowaste.service.labelling.export import (
    Report,
    cohen_kappa,
    export_labels,
    export_text,
    final_labels,
    parse_meta,
    report,
)
from zerowaste.service.labelling.importing import ImportProblem, ImportResult, import_folder
from zerowaste.service.labelling.queue import (
    BatchPhoto,
    QueueProgress,
    list_queues,
    next_batch,
    photo_ids,
    photo_key,
    queue_progress,
)
from zerowaste.service.labelling.sets import ensure_queue, queue_label_set
from zerowaste.service.labelling.votes import Ballot, BallotResult, submit_votes

__all__ = [
    "Ballot",
    "BallotResult",
    "BatchPhoto",
    "CLAIM_S",
    "DESCRIPTION",
    "DISPLAY_MAX_SIDE",
    "ImportProblem",
    "ImportResult",
    "InvalidRequest",
    "LabelSetMismatch",
    "LabellingError",
    "MAX_BATCH",
    "PASSES",
    "QUEUE_PATTERN",
    "QueueProgress",
    "RESERVED_META",
    "Report",
    "UnknownLabel",
    "UnknownPhoto",
    "UnknownQueue",
    "VERSION_PATTERN",
    "check_pass",
    "check_queue_name",
    "cohen_kappa",
    "ensure_queue",
    "export_labels",
    "export_text",
    "final_labels",
    "import_folder",
    "list_queues",
    "next_batch",
    "now",
    "parse_meta",
    "photo_ids",
    "photo_key",
    "queue_label_set",
    "queue_progress",
    "report",
    "submit_votes",
]
