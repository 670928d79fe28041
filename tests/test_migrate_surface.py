"""The codemod on the legacy surface around pipelines: source in -> source out.

One rewrite per section (v1 parameters, step context, materializers, post-execution
reads, hooks, ``connect(self, **kwargs)``, rebound names). Every expected output is
asserted exactly, parses, has no TODO, and migrating it again changes nothing; the
few constructs without a rewrite are asserted to get a TODO that says what to do.
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from framework.migrate import migrate_source


def dedent(text: str) -> str:
    return textwrap.dedent(text)


def migrated(source: str) -> str:
    """The migrated code, checked: it parses, has no TODO, and is a fixed point of the codemod."""
    result = migrate_source(dedent(source))
    ast.parse(result.code)
    assert result.todos == [], result.todos
    assert "TODO" not in result.code
    again = migrate_source(result.code)
    assert again.code == result.code and not again.changed
    return result.code


def todos(source: str) -> list[str]:
    result = migrate_source(dedent(source))
    ast.parse(result.code)
    return [t.message for t in result.todos]


# ---------------------------------------------------------------------- parameters written for pydantic v1
def test_unannotated_fields_get_the_type_pydantic_v1_inferred():
    out = migrated(
        """\
        from framework.steps import BaseStepConfig

        SEED = 7


        class Config(BaseStepConfig):
            \"\"\"Split options.\"\"\"

            test_size = 0.2  # fraction
            seed = SEED
            n = -3
            name = "split"
            shuffle = True
            columns = ["a", "b"]
            mapping = {"a": 1}
            shape = (2, 3)
            blob = b"x"
            extra = None
            already: int = 1
            _private = 3

            class Config:
                extra = "forbid"

            def describe(self) -> str:
                return self.name

            summary = describe
            label = property(describe)
        """
    )
    assert out == dedent(
        """\
        from framework.steps import BaseParameters
        from typing import Any, Optional

        SEED = 7


        class Config(BaseParameters):
            \"\"\"Split options.\"\"\"

            test_size: float = 0.2  # fraction
            seed: int = SEED
            n: int = -3
            name: str = "split"
            shuffle: bool = True
            columns: list = ["a", "b"]
            mapping: dict = {"a": 1}
            shape: tuple = (2, 3)
            blob: bytes = b"x"
            extra: Optional[Any] = None
            already: int = 1
            _private = 3

            class Config:
                extra = "forbid"

            def describe(self) -> str:
                return self.name

            summary = describe
            label = property(describe)
        """
    )


def test_base_step_config_spellings_become_base_parameters():
    out = migrated(
        """\
        import framework.steps as fs
        from framework.steps.base_step_config import BaseStepConfig
        from framework.steps import BaseStepConfig as Config, step


        class A(BaseStepConfig):
            a: int = 1


        class B(fs.BaseStepConfig):
            b: int = 2


        class C(Config):
            c: int = 3


        def check(p: BaseStepConfig) -> bool:
            return isinstance(p, (BaseStepConfig, fs.base_step_config.BaseStepConfig))
        """
    )
    assert out == dedent(
        """\
        import framework.steps as fs
        from framework.steps import step, BaseParameters


        class A(BaseParameters):
            a: int = 1


        class B(fs.BaseParameters):
            b: int = 2


        class C(BaseParameters):
            c: int = 3


        def check(p: BaseParameters) -> bool:
            return isinstance(p, (BaseParameters, fs.BaseParameters))
        """
    )


def test_annotated_v1_fields_flatten_into_the_step_like_any_others():
    out = migrated(
        """\
        from framework.pipelines import pipeline
        from framework.steps import BaseStepConfig, step


        class SplitConfig(BaseStepConfig):
            ratio = 0.2  # of the rows
            seed = 1


        @step
        def load() -> int:
            return 10


        @step
        def split(config: SplitConfig, x: int) -> float:
            return x * config.ratio + config.seed


        @pipeline
        def p(loader, splitter):
            splitter(loader())


        p(loader=load(), splitter=split(SplitConfig(seed=3))).run()
        """
    )
    assert out.endswith(dedent(
        """\
        # of the rows
        @step
        def split(x: int, ratio: float = 0.2, seed: int = 1) -> float:
            return x * ratio + seed


        @pipeline
        def p():
            split(x=load(), seed=3)


        p()
        """
    ))
    assert "BaseStepConfig" not in out and "BaseParameters" not in out


def test_a_default_whose_type_is_known_only_at_run_time_is_a_todo():
    messages = todos(
        """\
        import numpy as np
        from framework.steps import BaseParameters


        class P(BaseParameters):
            scale = np.float64(2.0)
        """
    )
    assert messages == [
        "annotate the field `scale` with its type (pydantic v1 took it from the default `np.float64(2.0)` at run "
        "time; pydantic v2 needs `scale: <type> = ...`)"
    ]


# ---------------------------------------------------------------------- step context
def test_step_context_argument_becomes_get_step_context_and_caching_stays_off():
    out = migrated(
        """\
        from framework.steps import StepContext, step


        @step
        def loader(context: StepContext) -> int:
            \"\"\"Loads.\"\"\"
            return len(context.step_name)


        @step(name="training")
        def trainer(x: int, ctx: StepContext) -> int:
            print(ctx.run_name, ctx.get_output_artifact_uri())
            return x


        @step(enable_cache=True)
        def evaluator(x: int, context: StepContext) -> int:
            return x + len(context.pipeline_name)


        @step
        def quiet(x: int, context: StepContext) -> int:
            return x
        """
    )
    assert out == dedent(
        """\
        from framework.steps import step
        from framework import get_step_context


        @step(enable_cache=False)
        def loader() -> int:
            \"\"\"Loads.\"\"\"
            context = get_step_context()
            return len(context.step_name)


        @step(name="training", enable_cache=False)
        def trainer(x: int) -> int:
            ctx = get_step_context()
            print(ctx.run_name, ctx.get_output_artifact_uri())
            return x


        @step(enable_cache=True)
        def evaluator(x: int) -> int:
            context = get_step_context()
            return x + len(context.pipeline_name)


        @step(enable_cache=False)
        def quiet(x: int) -> int:
            return x
        """
    )


def test_environment_step_environment_becomes_get_step_context():
    out = migrated(
        """\
        from framework.environment import Environment
        from framework.steps import step


        @step
        def tagger() -> str:
            env = Environment().step_environment
            return f"{env.pipeline_name}/{Environment().step_environment.run_name}"
        """
    )
    assert out == dedent(
        """\
        from framework.steps import step
        from framework import get_step_context


        @step
        def tagger() -> str:
            env = get_step_context()
            return f"{env.pipeline_name}/{get_step_context().run_name}"
        """
    )


def test_hooks_and_class_steps_keep_their_step_context():
    """A hook is not a step (the function API passes it the same context); a BaseStep has no decorator."""
    source = dedent(
        """\
        from framework.steps import BaseStep, StepContext, step


        def on_done(context: StepContext) -> None:
            print(context.step_name)


        class Loader(BaseStep):
            def entrypoint(self, context: StepContext) -> int:
                return 1


        @step(on_success=on_done)
        def trainer(x: int) -> int:
            return x
        """
    )
    result = migrate_source(source)
    assert result.code == source and result.todos == []


def test_passing_the_context_to_entrypoint_is_a_todo():
    messages = todos(
        """\
        from framework.steps import StepContext, step


        @step
        def loader(context: StepContext) -> int:
            return len(context.step_name)


        assert loader.entrypoint(context=FAKE) == 4
        """
    )
    assert len(messages) == 1 and "`loader` now reads its context with `get_step_context()`" in messages[0]


# ---------------------------------------------------------------------- materializers
def test_zenml_materializer_methods_get_their_current_names():
    out = migrated(
        """\
        import json
        import os
        from typing import Any, Type

        from framework.io import fileio
        from framework.materializers.base_materializer import BaseMaterializer


        class Point:
            def __init__(self, x: int) -> None:
                self.x = x


        class PointMaterializer(BaseMaterializer):
            ASSOCIATED_TYPES = (Point,)

            def handle_input(self, data_type: Type[Any]) -> Point:
                super().handle_input(data_type)
                with fileio.open(os.path.join(self.artifact.uri, "p.json")) as f:
                    return Point(json.load(f)["x"])

            def handle_return(self, point: Point) -> None:
                super().handle_return(point)
                with fileio.open(os.path.join(self.uri, "p.json"), "w") as f:
                    json.dump({"x": point.x}, f)


        class LoudPointMaterializer(PointMaterializer):
            def handle_return(self, point: Point) -> None:
                print("saving")
                self.handle_input
                super().handle_return(point)
        """
    )
    assert "handle_input" not in out and "handle_return" not in out and "self.artifact" not in out
    assert "    def load(self, data_type: Type[Any]) -> Point:\n        super().load(data_type)\n" in out
    assert '        with fileio.open(os.path.join(self.uri, "p.json")) as f:\n' in out
    assert "    def save(self, point: Point) -> None:\n        super().save(point)\n" in out
    assert '    def save(self, point: Point) -> None:\n        print("saving")\n        self.load\n' in out


def test_a_materializer_that_defines_both_names_keeps_the_old_one():
    source = dedent(
        """\
        from framework.materializers import BaseMaterializer


        class M(BaseMaterializer):
            def load(self, data_type):
                return self.handle_input(data_type)

            def handle_input(self, data_type):
                return 1
        """
    )
    assert migrate_source(source).code == source


# ---------------------------------------------------------------------- post-execution -> Client
PIPELINE = """\
from framework.pipelines import pipeline
from framework.post_execution import get_pipeline, get_run
from framework.steps import step


@step
def loader() -> int:
    return 1


@step
def trainer(x: int) -> int:
    return 2 * x


@pipeline
def training_pipeline(importer, trainer):
    trainer(importer())


pipe = training_pipeline(importer=loader(), trainer=trainer())
pipe.run()
"""

MIGRATED_PIPELINE = """\
from framework.pipelines.new import pipeline
from framework.steps import step
from framework.client import Client


@step
def loader() -> int:
    return 1


@step
def trainer(x: int) -> int:
    return 2 * x


@pipeline
def training_pipeline():
    trainer(x=loader())


training_pipeline()
"""


def test_post_execution_reads_become_client_reads():
    out = migrated(
        PIPELINE
        + dedent(
            """
            p = get_pipeline(pipeline="training_pipeline")
            assert p.num_runs >= 1
            last = p.runs[0]
            for s in last.steps:
                print(s.name, s.status, s.output.read())
            assert last.steps[-1].output.read() == 2
            assert last.get_step(step="importer").output.read() == 1
            print(last.get_step_names(), len(last.steps), [s.is_cached for s in last.steps])
            steps = last.steps
            first = get_run(last.name).steps[0]
            """
        )
    )
    assert out == MIGRATED_PIPELINE + dedent(
        """
        p = Client().get_pipeline("training_pipeline")
        assert len(p.runs) >= 1
        last = p.runs[0]
        for s in last.steps.values():
            print(s.name, s.status, s.output.load())
        assert list(last.steps.values())[-1].output.load() == 2
        assert last.steps["loader"].output.load() == 1
        print(list(last.steps), len(last.steps), [s.is_cached for s in last.steps.values()])
        steps = list(last.steps.values())
        first = list(Client().get_run(last.name).steps.values())[0]
        """
    )


def test_pipeline_classes_and_instances_are_looked_up_by_name():
    out = migrated(
        PIPELINE
        + dedent(
            """
            assert training_pipeline.get_runs()[0].status == "completed"
            run = pipe.get_runs()[0]
            assert run.get_step("trainer").output.read() == 2
            assert get_pipeline(training_pipeline).get_run(run.name).status == "completed"
            assert get_pipeline(pipe).runs[0].name == run.name
            """
        )
    )
    assert out == MIGRATED_PIPELINE.replace(
        "from framework.client import Client\n", "from framework.client import Client\n"
    ) + dedent(
        """
        assert Client().get_pipeline("training_pipeline").runs[0].status == "completed"
        run = Client().get_pipeline("training_pipeline").runs[0]
        assert run.steps["trainer"].output.load() == 2
        assert Client().get_run(run.name).status == "completed"
        assert Client().get_pipeline("training_pipeline").runs[0].name == run.name
        """
    )


def test_reads_in_functions_and_loops_are_followed():
    out = migrated(
        """\
        import framework.post_execution as pe


        def report(pipeline_name: str) -> None:
            for run in pe.get_pipeline(pipeline_name).runs[:3]:
                print(run.name, [step.output.read() for step in run.steps])
            print(len(pe.get_pipelines()))
        """
    )
    assert out == dedent(
        """\
        from framework.client import Client


        def report(pipeline_name: str) -> None:
            for run in Client().get_pipeline(pipeline_name).runs[:3]:
                print(run.name, [step.output.load() for step in run.steps.values()])
            print(len(Client().list_pipelines()))
        """
    )


@pytest.mark.parametrize(
    "line, message",
    [
        ('get_pipeline("p", version="2")', "`Client().get_pipeline(name)` has no `version=`"),
        ('get_pipeline("p", "2")', "`Client().get_pipeline(name)` has no `version=`"),
        ("get_pipeline(imported_pipeline)", "if `imported_pipeline` is a pipeline, not its name"),
        ('get_run("r").steps[0].input', "`Client` step views have no `.input`"),
    ],
)
def test_post_execution_reads_without_a_client_equivalent_are_todos(line, message):
    source = dedent(
        """\
        from framework.post_execution import get_pipeline, get_run, get_unlisted_runs
        from my_pipelines import imported_pipeline

        x = LINE
        """
    ).replace("LINE", line)
    found = todos(source)
    assert len(found) == 1 and found[0].startswith(message), found


def test_unlisted_runs_and_entrypoint_names_have_client_spellings():
    out = migrated(
        """\
        from framework.post_execution import get_run, get_unlisted_runs

        scratch = get_unlisted_runs()
        print([r.name for r in get_unlisted_runs()[:2]])
        for step in get_run("r").steps:
            print(step.entrypoint_name, step.name)
        """
    )
    assert out == dedent(
        """\
        from framework.client import Client

        scratch = Client().list_runs(unlisted=True)
        print([r.name for r in Client().list_runs(unlisted=True)[:2]])
        for step in Client().get_run("r").steps.values():
            print(step.name, step.name)
        """
    )


# ---------------------------------------------------------------------- hooks
def test_hooks_survive_decorators_instantiation_configure_and_with_options():
    out = migrated(
        """\
        from framework.pipelines import pipeline
        from framework.steps import step


        def alert(exc: BaseException) -> None:
            print(exc)


        @step(on_failure=alert)
        def loader() -> int:
            return 1


        @step
        def trainer(x: int) -> int:
            return x


        @step
        def evaluator(x: int) -> int:
            return x


        @pipeline(on_failure="hooks.alert", on_success="hooks.done")
        def p(s1, s2, s3):
            x = s1()
            s3(s2(x))


        p(
            s1=loader(on_success="hooks.done"),
            s2=trainer().configure(on_failure=alert),
            s3=evaluator().with_options(on_success=alert),
        ).run()
        """
    )
    assert out.endswith(dedent(
        """\
        @pipeline(on_failure="hooks.alert", on_success="hooks.done")
        def p():
            x = loader.with_options(on_success="hooks.done")()
            evaluator.with_options(on_success=alert)(x=trainer.with_options(on_failure=alert)(x=x))


        p()
        """
    ))


# ---------------------------------------------------------------------- BasePipeline with connect(self, **kwargs)
def test_connect_with_kwargs_calls_the_steps_it_reads():
    out = migrated(
        """\
        from framework.pipelines import BasePipeline
        from framework.steps import step


        @step
        def loader() -> int:
            return 1


        @step
        def trainer(x: int) -> int:
            return x


        @step
        def evaluator(x: int) -> int:
            return x


        class TrainingPipeline(BasePipeline):
            \"\"\"Trains.\"\"\"

            def connect(self, importer, **kwargs) -> None:
                evaluate = kwargs["evaluator"]
                x = importer()
                y = kwargs["trainer"](x)
                evaluate.after(kwargs["trainer"])
                evaluate(y)


        TrainingPipeline(loader(), trainer=trainer(), evaluator=evaluator(), unused=loader()).run()
        """
    )
    assert out.endswith(dedent(
        """\
        @pipeline
        def TrainingPipeline() -> None:
            \"\"\"Trains.\"\"\"
            x = loader()
            y = trainer(x=x)
            evaluator(x=y, after="trainer")


        TrainingPipeline()
        """
    ))
    assert out.startswith("from framework.pipelines.new import pipeline\nfrom framework.steps import step\n")


def test_connect_iterating_its_kwargs_is_a_todo():
    found = todos(
        """\
        from framework.pipelines import BasePipeline
        from framework.steps import step


        @step
        def loader() -> int:
            return 1


        class Everything(BasePipeline):
            def connect(self, **kwargs):
                for s in kwargs.values():
                    s()


        Everything(a=loader()).run()
        """
    )
    assert found and "uses `kwargs` other than `kwargs[\"<slot>\"]`" in found[0]


# ---------------------------------------------------------------------- rebound names
@pytest.mark.parametrize("variable", ["pipeline", "training_pipeline"])
def test_an_instance_named_like_the_decorator_or_the_pipeline_is_run(variable):
    out = migrated(
        f"""\
        from framework.pipelines import pipeline
        from framework.steps import step


        @step
        def loader() -> int:
            return 1


        @pipeline
        def training_pipeline(importer):
            importer()


        {variable} = training_pipeline(importer=loader())
        {variable}.run(run_name="r_{{{{date}}}}", unlisted=True)
        """
    )
    assert out == dedent(
        """\
        from framework.pipelines.new import pipeline
        from framework.steps import step


        @step
        def loader() -> int:
            return 1


        @pipeline
        def training_pipeline():
            loader()


        training_pipeline.with_options(run_name="r_{{date}}", unlisted=True)()
        """
    )


# ---------------------------------------------------------------------- a pipeline instance configured before it runs
CONFIGURED = """\
from framework.pipelines import pipeline
from framework.steps import step


def alert(exc: BaseException) -> None:
    print(exc)


@step
def loader() -> int:
    return 1


@pipeline(enable_cache=True, settings={"docker": {}})
def p(s):
    s()


"""


def test_instance_configure_moves_into_the_decorator_of_its_own_function():
    out = migrated(
        CONFIGURED
        + dedent(
            """\
            inst = p(s=loader())
            # hooks for this run
            inst.configure(on_failure=alert, enable_cache=False)
            inst.run()

            plain = p(s=loader())
            plain.run()
            """
        )
    )
    assert out.endswith(dedent(
        """\
        @pipeline(enable_cache=False, settings={"docker": {}}, on_failure=alert)
        def p():
            loader()


        @pipeline(enable_cache=True, settings={"docker": {}}, name="p")
        def p_2():
            loader()


        # hooks for this run
        p()

        p_2()
        """
    ))


def test_configure_merge_false_replaces_the_decorator_dict():
    out = migrated(CONFIGURED + 'inst = p(s=loader())\ninst.configure(settings={"resources": {}}, merge=False)\ninst.run()\n')
    assert '@pipeline(enable_cache=True, settings={"resources": {}})\ndef p():\n' in out


@pytest.mark.parametrize(
    "tail, kept",
    [
        # settings the decorator gives too: `configure` deep-merges them, and so does the kept copy's
        ('inst = p(s=loader())\ninst.configure(settings={"resources": {}})\ninst.run()\n',
         'inst = p.with_options()\ninst.configure(settings={"resources": {}})\ninst()\n'),
        # configured between two runs
        ("inst = p(s=loader())\ninst.run()\ninst.configure(on_success=alert)\ninst.run()\n",
         "inst = p.with_options()\ninst()\ninst.configure(on_success=alert)\ninst()\n"),
        # an option no pipeline takes fails the same way in both APIs
        ("inst = p(s=loader())\ninst.configure(unlisted=True)\ninst.run()\n",
         "inst = p.with_options()\ninst.configure(unlisted=True)\ninst()\n"),
    ],
)
def test_an_instance_configured_where_the_decorator_cannot_say_it_stays_a_pipeline_object(tail, kept):
    out = migrated(CONFIGURED + tail)
    assert out.endswith('@pipeline(enable_cache=True, settings={"docker": {}})\ndef p():\n    loader()\n\n\n' + kept)


def test_an_instance_read_like_a_pipeline_object_is_a_copy_of_the_function_pipeline():
    out = migrated(
        CONFIGURED
        + dedent(
            """\
            inst = p(s=loader())  # the baseline
            inst.configure(extra={"purpose": "baseline"})
            print(inst.configuration.name, inst.configuration.extra, inst.name, inst.enable_cache)
            inst.run(run_name="baseline")
            """
        )
    )
    assert out.endswith(dedent(
        """\
        inst = p.with_options()  # the baseline
        inst.configure(extra={"purpose": "baseline"})
        print(inst.configuration.name, inst.configuration.extra, inst.name, inst.enable_cache)
        inst.with_options(run_name="baseline")()
        """
    ))


def test_an_instance_passed_around_is_a_todo():
    found = todos(CONFIGURED + "inst = p(s=loader())\nschedule(inst)\n")
    assert len(found) == 1 and "is used for more than `.run()`, `.configure()` and `.configuration`" in found[0]


# ---------------------------------------------------------------------- hooks asking for the parameters object
def test_a_hook_asking_for_base_parameters_keeps_the_steps_parameters_object():
    out = migrated(
        """\
        from framework.pipelines import pipeline
        from framework.steps import BaseParameters, step


        class LimitParams(BaseParameters):
            limit: int = 3


        def report(params: BaseParameters, exc: BaseException) -> None:
            print(params.dict(), exc)


        def named(params: LimitParams) -> None:
            print(params.limit)


        @step(on_failure=report)
        def check(params: LimitParams, x: int) -> int:
            return min(x, params.limit)


        @step(on_success=named)
        def cap(params: LimitParams, x: int) -> int:
            return min(x, params.limit)


        @step
        def load() -> int:
            return 5


        @pipeline
        def p(loader, checker, capper):
            x = loader()
            checker(x)
            capper(x)


        p(loader=load(), checker=check(LimitParams(limit=4)), capper=cap(LimitParams(limit=4))).run()
        """
    )
    # `report` asks for "the step's parameters object": `check` keeps it; `named` asks for a
    # `LimitParams`, which the runtime builds from `cap`'s arguments, so `cap` is flattened
    assert out.endswith(dedent(
        """\
        @step(on_failure=report)
        def check(params: LimitParams, x: int) -> int:
            return min(x, params.limit)


        @step(on_success=named)
        def cap(x: int, limit: int = 3) -> int:
            return min(x, limit)


        @step
        def load() -> int:
            return 5


        @pipeline
        def p():
            x = load()
            check(LimitParams(limit=4), x=x)
            cap(x=x, limit=4)


        p()
        """
    ))


# ---------------------------------------------------------------------- instances
def test_an_instance_only_read_for_its_runs_goes_and_its_reads_read_every_run():
    out = migrated(
        PIPELINE
        + dedent(
            """
            other = training_pipeline(importer=loader(), trainer=trainer())
            assert len(other.get_runs()) == len(pipe.get_runs())
            """
        )
    )
    assert out == MIGRATED_PIPELINE + dedent(
        """
        assert len(Client().get_pipeline("training_pipeline").runs) == len(Client().get_pipeline("training_pipeline").runs)
        """
    )


def test_an_instance_this_file_never_uses_stays_a_name_with_a_todo():
    found = todos(PIPELINE + "\nexported = training_pipeline(importer=loader(), trainer=trainer())\n")
    assert len(found) == 1 and found[0].startswith("`exported` was a pipeline instance that is never run")


# ---------------------------------------------------------------------- a function that builds the instance
FACTORY = """\
from framework.pipelines import pipeline
from framework.steps import BaseParameters, step


class ShiftParams(BaseParameters):
    shift: float = 0.0


@step
def load() -> float:
    return 1.0


@step
def move(params: ShiftParams, x: float) -> float:
    return x + params.shift


@pipeline
def moving(loader, mover):
    mover(loader())


def build(shift: float, name="moving"):
    \"\"\"One instance per shift.\"\"\"
    return moving(loader=load(), mover=move(ShiftParams(shift=shift)))


"""


def test_a_function_returning_the_instance_is_inlined_where_it_is_called():
    out = migrated(
        FACTORY
        + dedent(
            """\
            def main(shift: float) -> None:
                build(0.0).run(run_name="steady")
                shifted = build(shift)
                shifted.run(run_name="shifted")
            """
        )
    )
    assert out.endswith(dedent(
        """\
        @step
        def move(x: float, shift: float = 0.0) -> float:
            return x + shift


        @pipeline
        def moving(shift: float = 0.0):
            move(x=load(), shift=shift)


        def main(shift: float) -> None:
            moving.with_options(run_name="steady")(shift=0.0)
            moving.with_options(run_name="shifted")(shift=shift)
        """
    ))


@pytest.mark.parametrize(
    "tail, message",
    [
        ("build(float(input())).run()\n", "is given to `build`, whose instance the codemod inlines"),
        ("schedule(build)\n", "`build` returns a `moving` instance and is used here other than called"),
    ],
)
def test_a_factory_the_codemod_cannot_inline_is_a_todo(tail, message):
    found = todos(FACTORY + tail)
    assert len(found) == 1 and message in found[0], found


# ---------------------------------------------------------------------- optional slots under **kwargs
LOAD_AND_DOUBLE = """

@step
def load() -> int:
    return 3


@step
def double(x: int) -> int:
    return 2 * x
"""

OPTIONAL = """\
from framework.pipelines import BasePipeline
from framework.steps import step
""" + LOAD_AND_DOUBLE + """

@step
def report(x: int) -> None:
    print(x)


class Reporting(BasePipeline):
    def connect(self, **kwargs):
        x = kwargs["importer"]()
        if "doubler" in kwargs and "skip" not in kwargs:
            x = kwargs["doubler"](x)
        elif "reporter" not in kwargs:
            return
        else:
            print("no doubling")
        kwargs["reporter"](x)


"""


def test_slots_tested_with_in_kwargs_give_one_function_per_wiring():
    out = migrated(
        OPTIONAL
        + dedent(
            """\
            Reporting(importer=load(), doubler=double(), reporter=report()).run(run_name="doubled")
            Reporting(importer=load(), reporter=report()).run(run_name="plain")
            Reporting(importer=load(), doubler=double(), reporter=report()).run(run_name="doubled again")
            """
        )
    )
    assert out.endswith(dedent(
        """\
        @pipeline
        def Reporting():
            x = load()
            x = double(x=x)
            report(x=x)


        @pipeline(name="Reporting")
        def Reporting_2():
            x = load()
            print("no doubling")
            report(x=x)


        Reporting.with_options(run_name="doubled")()
        Reporting_2.with_options(run_name="plain")()
        Reporting.with_options(run_name="doubled again")()
        """
    ))


def test_a_slot_not_given_but_used_outside_its_test_is_a_todo():
    source = OPTIONAL.replace('        kwargs["reporter"](x)\n', '        kwargs["reporter"](x)\n        kwargs["auditor"](x)\n')
    found = todos(source + 'Reporting(importer=load(), reporter=report()).run()\n')
    assert len(found) == 1 and "uses `kwargs` for step(s) auditor that an instantiation does not give" in found[0]
