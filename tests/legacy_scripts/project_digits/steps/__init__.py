from steps.evaluator import evaluator
from steps.importer import digits_importer, ImporterParams
from steps.trainer import svc_trainer, SVCTrainerParams

__all__ = ["digits_importer", "ImporterParams", "svc_trainer", "SVCTrainerParams", "evaluator"]
