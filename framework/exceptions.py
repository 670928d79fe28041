"""The error family users catch: every framework error subclasses ``FrameworkError``.

Messages name the step, argument or file at fault and say how to fix it, so a
traceback alone is enough to act on.
"""


class FrameworkError(Exception):
    """Base class of every error raised by framework on purpose."""


class StepInterfaceError(FrameworkError):
    """A step is defined, instantiated, called or returns values in a way its signature forbids."""


class MissingStepParameterError(StepInterfaceError):
    """A step's parameters object lacks a required field and nothing supplied it."""


class StepContextError(FrameworkError, RuntimeError):
    """The step context was asked for outside a running step, or for an output the step lacks."""


class PipelineInterfaceError(FrameworkError):
    """A pipeline is defined or wired with the wrong steps."""


class DuplicateRunNameError(FrameworkError, RuntimeError):
    """A run with this name already exists in the store."""


class StoreCorruptedError(FrameworkError):
    """A metadata store file is empty, truncated or unparsable."""


class RecordError(StoreCorruptedError):
    """A stored record has keys this version does not know, lacks keys it needs, or holds
    values of the wrong kind: the store was damaged or written by another program."""


class StoreWriteError(FrameworkError, OSError):
    """A metadata store file could not be written (disk full, read-only, no permission).

    An ``OSError`` too: ``errno`` and ``filename`` say what failed where; the file was
    left unchanged."""


class StoreUnavailableError(FrameworkError):
    """A metadata store on a server could not be reached or used: the server is down, the
    credentials are refused, or the store's client library is not installed. Nothing was
    written; the message names the store (without its password) and the fix."""


class StoreVersionError(FrameworkError):
    """A metadata store's schema is newer than this framework knows (a newer release
    upgraded it): upgrade the framework rather than write to it."""


class ArtifactError(FrameworkError):
    """An artifact could not be written, or is missing or altered on load."""


class ArtifactVerificationError(ArtifactError):
    """An artifact's bytes no longer match the hash recorded when it was written.

    ``artifact_id`` names the artifact, so whoever loaded it can drop the cache entries that
    would serve it again (the next run then recomputes it)."""

    def __init__(self, message: str, artifact_id: str | None = None) -> None:
        super().__init__(message)
        self.artifact_id = artifact_id


class MaterializerError(ArtifactError):
    """No materializer can handle a value, or a value is refused by its materializer."""


class ArtifactTrustError(MaterializerError):
    """Loading an artifact would run code its record does not vouch for (a pickle, or skops
    types beyond the defaults, without this home's keyed hash); the message says how to opt in."""


class StepExecutionError(FrameworkError):
    """A step failed while the pipeline ran; the original exception is chained."""


class OrchestratorError(FrameworkError, RuntimeError):
    """An orchestrator could not run a step: an unreachable cluster, a worker that died, or a
    step (function or parameters) that cannot be sent to the cluster."""


class RunTerminated(BaseException):
    """SIGTERM arrived while a run was active in the main thread.

    A ``BaseException`` (like ``KeyboardInterrupt``) so that a step's ``except Exception``
    does not swallow it. The launcher records the step and the run as failed, restores
    the default SIGTERM action and sends the signal again, so the process still ends by
    SIGTERM."""
