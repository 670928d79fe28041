"""Stacks: register, set, list, describe and delete them; the active stack runs pipelines and
is recorded on each run; the metadata store stays in the home for every stack."""

from __future__ import annotations

import threading

import pytest
import yaml
from click.testing import CliRunner

from framework import stacks
from framework.cli import main
from framework.client import Client
from framework.pipelines.new import pipeline
from framework.stacks import StackError
from tests.seed_steps import CALLS, loader, new_trainer


@pytest.fixture(autouse=True)
def clear_calls():
    CALLS.clear()


@pipeline
def seed_like(C: float = 1.0):
    X_train, X_test, y_train, y_test = loader()
    new_trainer(C=C, X_train=X_train, y_train=y_train)


def cli(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_only_the_default_stack_exists_at_first(home):
    assert [s.name for s in stacks.list_stacks()] == ["default"]
    assert stacks.active_stack().name == "default"
    assert stacks.active_stack().artifact_store_url == str(home / "artifacts")
    assert not (home / "stacks.yaml").exists()  # reading never writes


def test_register_set_and_run_on_a_dask_stack_from_the_command_line(home, tmp_path, dask_client, run_log):
    address = dask_client.scheduler.address
    artifacts = tmp_path / "shared-artifacts"
    out = cli("stack", "register", "cluster", "--orchestrator", "dask", "--scheduler", address,
              "--artifact-store", str(artifacts), "--max-workers", "2", "--connect-timeout", "5")
    assert "Registered stack `cluster`" in out
    assert stacks.active_stack().name == "default"  # registering does not activate
    assert "Active stack: `cluster`." in cli("stack", "set", "cluster")

    saved = yaml.safe_load((home / "stacks.yaml").read_text())
    assert saved["active"] == "cluster"
    assert saved["stacks"]["cluster"] == {
        "orchestrator": "dask", "artifact_store": str(artifacts),
        "orchestrator_options": {"scheduler": address, "max_workers": 2, "connect_timeout": 5.0}}
    listing = cli("stack", "list")
    assert "cluster" in listing and "dask" in listing
    described = cli("stack", "describe", "cluster", "--json")
    assert address in described and str(artifacts) in described

    run = seed_like(C=0.5)
    assert "Using stack `cluster` to run pipeline `seed_like`..." in run_log.lines
    assert run.stack == "cluster" and Client().get_run(run.name).stack == "cluster"
    assert run.steps["new_trainer"].output.load().get_params()["C"] == 0.5
    assert (home / "metadata").is_dir() and not (home / "artifacts").exists()
    assert any(artifacts.rglob("*.npy"))
    again = seed_like(C=0.5)
    assert [s.status for s in again.steps.values()] == ["cached", "cached"]

    cli("stack", "set", "default")
    assert "Deleted stack `cluster`." in cli("stack", "delete", "cluster")
    assert [s.name for s in stacks.list_stacks()] == ["default"]
    # the runs made on the deleted stack stay readable
    assert Client().get_run(run.name).status == "completed"


def test_framework_stack_env_var_overrides_the_active_stack(home, monkeypatch, tmp_path):
    stacks.register_stack("threads", orchestrator="local", orchestrator_options={"max_workers": 2},
                          artifact_store=str(tmp_path / "a"))
    monkeypatch.setenv("FRAMEWORK_STACK", "threads")
    active = stacks.active_stack()
    assert active.name == "threads" and active.orchestrator_instance().max_workers == 2
    assert active.metadata_root == home / "metadata"
    run = seed_like()
    assert run.stack == "threads"
    monkeypatch.setenv("FRAMEWORK_STACK", "nope")
    with pytest.raises(StackError, match=r"No stack named `nope`; known stacks: default, threads.*FRAMEWORK_STACK"):
        stacks.active_stack()


def test_registration_errors_name_the_problem(tmp_path):
    with pytest.raises(StackError, match="built-in"):
        stacks.register_stack("default")
    with pytest.raises(StackError, match="Invalid stack name"):
        stacks.register_stack("../escape")
    with pytest.raises(StackError, match="unknown orchestrator `ray`; known: local, dask"):
        stacks.register_stack("r", orchestrator="ray")
    with pytest.raises(StackError, match="no option `scheduler`; valid options are: max_workers"):
        stacks.register_stack("l", orchestrator="local", orchestrator_options={"scheduler": "tcp://x:1"})
    with pytest.raises(StackError, match="`max_workers` must be an integer"):
        stacks.register_stack("d", orchestrator="dask", orchestrator_options={"max_workers": "4"})
    stacks.register_stack("once")
    with pytest.raises(StackError, match="already registered"):
        stacks.register_stack("once")
    with pytest.raises(StackError, match="cannot be deleted"):
        stacks.delete_stack("default")
    stacks.set_active_stack("once")
    with pytest.raises(StackError, match="is active"):
        stacks.delete_stack("once")
    assert "No stack named `ghost`" in cli("stack", "set", "ghost", code=1)
    assert "no option `scheduler`" in cli("stack", "register", "x", "--scheduler", "tcp://a:1", code=1)


def test_stacks_file_is_written_atomically_under_a_lock(home):
    names = [f"s{i}" for i in range(8)]
    threads = [threading.Thread(target=stacks.register_stack, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [s.name for s in stacks.list_stacks()] == ["default", *sorted(names)]
    assert sorted(p.name for p in home.iterdir() if "stacks" in p.name) == ["stacks.yaml", "stacks.yaml.lock"]


def test_a_broken_stacks_file_is_an_error_naming_it(home):
    home.mkdir(parents=True)
    (home / "stacks.yaml").write_text("stacks: [unclosed")
    with pytest.raises(StackError, match="stacks.yaml is not valid YAML"):
        stacks.active_stack()


def test_storage_options_are_kept_and_secrets_hidden_in_describe(home):
    cli("stack", "register", "remote", "--artifact-store", "s3://bucket/prefix",
        "--storage-option", "endpoint_url=http://127.0.0.1:9000", "--storage-option", "secret=s3cr3t")
    stack = stacks.get_stack("remote")
    assert stack.artifact_store_options == {"endpoint_url": "http://127.0.0.1:9000", "secret": "s3cr3t"}
    assert stack.artifact_store().storage_options["endpoint_url"] == "http://127.0.0.1:9000"
    shown = cli("stack", "describe", "remote")
    assert "http://127.0.0.1:9000" in shown and "s3cr3t" not in shown
