from steps.data import current_batch, reference_batch, BatchParams
from steps.drift import drift_check, publish, DriftParams
