"""A one-parameter sweep as a long table, in the columns of ``lcia.csv``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..impact.calculate import method_label
from ..impact.engine import LinearEngine, Parameter
from ..impact.provenance import with_method_origin
from ..impact.system import Method, StudySystem
from ..scope.study import Study

SWEEP_COLUMNS = ["view", "method", "method_origin", "category", "indicator", "unit", "background", "parameter", "parameter_unit",
                 "parameter_value", "score"]


def sweep_frame(study: Study, parameter: Parameter, values: Sequence[float] | np.ndarray,
                methods: Sequence[Method] | None = None, system: StudySystem | None = None,
                views: Sequence[str] | None = None) -> pd.DataFrame:
    """Score per FU at each value of ``parameter``, one row per view, method and value
    (``SWEEP_COLUMNS``; ``score`` in the method's ``unit`` per FU, as in ``lcia.csv`` summed over
    stages and components). ``methods``: default TRACI v2.1 and water; ``system``: the study's
    factorized system if the caller has one (it fixes the methods); ``views``: default the study's own
    (attributional and consumer, or training for a trained-model unit)."""
    values = np.asarray(values, dtype=float)
    frames = []
    for view in views if views is not None else study.views:
        engine = LinearEngine(study, methods=methods, view=view, system=system)
        system = engine.system  # the second view reuses the first one's factorization
        scores = engine.scores({parameter: values})  # (points, methods)
        for m, (method, unit) in enumerate(zip(engine.methods, engine.units)):
            frames.append(pd.DataFrame({
                "view": view,
                "method": method_label(method),
                "category": method[1] if len(method) > 1 else method[0],
                "indicator": method[-1],
                "unit": unit,
                "background": study.study.background_choice.label,
                "parameter": parameter.name,
                "parameter_unit": parameter.unit,
                "parameter_value": values,
                "score": scores[:, m],
            }))
    return with_method_origin(pd.concat(frames, ignore_index=True))[SWEEP_COLUMNS]
