"""examples/first_pipeline.py's work, run once: ``seed_framework.py on|off`` (caching).

The steps and the pipeline are imported from the example itself, so what runs is exactly
the seed; only ``enable_cache`` is chosen here.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import first_pipeline as seed  # noqa: E402

seed.first_pipeline(step_1=seed.digits_data_loader(), step_2=seed.svc_trainer()).run(
    enable_cache=sys.argv[1] == "on")
