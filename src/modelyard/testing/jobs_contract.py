"""Contract suite of :class:`~modelyard.store.jobs.base.JobStore` (through ``JobService``).

Subclass :class:`JobStoreContract` in a test module and give it a ``job_store`` fixture that
returns a fresh store; every implementation passes the same tests. The clock is a counter the
tests move by hand, so schedules are exercised without waiting.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.services.jobs import JobService
from modelyard.store.jobs.base import JobStore

__all__ = ["JobStoreContract", "ManualClock", "simple_settings"]

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


class ManualClock:
    def __init__(self, start: int = T0) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms


def simple_settings(**extra: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "name": "nightly",
        "tasks": [
            {"task_key": "train", "project_task": {"project_uri": "/p", "parameters": {"a": 1}}},
            {
                "task_key": "report",
                "depends_on": [{"task_key": "train"}],
                "spark_python_task": {"python_file": "r.py", "parameters": ["--x", 2]},
                "max_retries": 2,
            },
        ],
        "parameters": [{"name": "alpha", "default": "0.5"}],
    }
    settings.update(extra)
    return settings


class JobStoreContract:
    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock()

    @pytest.fixture
    def service(self, job_store: JobStore, clock: ManualClock) -> JobService:
        return JobService(job_store, clock=clock)

    # ------------------------------------------------------------ jobs
    def test_create_get_list_delete(self, service: JobService) -> None:
        job_id = service.create(simple_settings(), "alice")
        job = service.get(job_id)
        assert job["job_id"] == job_id
        assert job["creator_user_name"] == "alice"
        assert job["settings"]["name"] == "nightly"
        assert [t["task_key"] for t in job["settings"]["tasks"]] == ["train", "report"]
        assert job["settings"]["tasks"][0]["project_task"]["parameters"] == {"a": "1"}
        assert job["settings"]["tasks"][1]["max_retries"] == 2
        assert job["settings"]["max_concurrent_runs"] == 1
        second = service.create(simple_settings(name="other"))
        listed = service.list_jobs(limit=1)
        assert [j["job_id"] for j in listed["jobs"]] == [job_id]
        assert listed["has_more"] is True
        assert "tasks" not in listed["jobs"][0]["settings"]
        assert [j["job_id"] for j in service.list_jobs(name="other")["jobs"]] == [second]
        service.delete(job_id)
        with pytest.raises(ResourceDoesNotExist):
            service.get(job_id)
        with pytest.raises(ResourceDoesNotExist):
            service.delete(job_id)

    def test_reset_and_update(self, service: JobService) -> None:
        job_id = service.create(simple_settings())
        service.update(
            job_id,
            {
                "max_concurrent_runs": 3,
                "tasks": [
                    {
                        "task_key": "report",
                        "spark_python_task": {"python_file": "s.py"},
                        "depends_on": [{"task_key": "train"}],
                    }
                ],
            },
        )
        settings = service.get(job_id)["settings"]
        assert settings["max_concurrent_runs"] == 3
        assert settings["tasks"][1]["spark_python_task"]["python_file"] == "s.py"
        service.update(job_id, fields_to_remove=["parameters"])
        assert service.get(job_id)["settings"]["parameters"] == []
        service.reset(
            job_id,
            {
                "name": "renamed",
                "tasks": [{"task_key": "only", "spark_python_task": {"python_file": "x.py"}}],
            },
        )
        settings = service.get(job_id)["settings"]
        assert settings["name"] == "renamed"
        assert [t["task_key"] for t in settings["tasks"]] == ["only"]

    @pytest.mark.parametrize(
        ("settings", "field"),
        [
            ({"name": "x", "tasks": []}, "tasks"),
            ({"name": "x", "tasks": [{"task_key": "a"}]}, "tasks[0]"),
            (
                {
                    "name": "x",
                    "tasks": [
                        {
                            "task_key": "a",
                            "depends_on": [{"task_key": "zz"}],
                            "spark_python_task": {"python_file": "f"},
                        }
                    ],
                },
                "depends_on",
            ),
            (
                {
                    "name": "x",
                    "tasks": [
                        {
                            "task_key": "a",
                            "spark_python_task": {"python_file": "f"},
                            "max_retries": "many",
                        }
                    ],
                },
                "max_retries",
            ),
            (
                {
                    "name": "x",
                    "tasks": [{"task_key": "a", "spark_python_task": {"python_file": "f"}}],
                    "schedule": {"quartz_cron_expression": "0 61 * * * ?"},
                },
                "quartz_cron_expression",
            ),
            (
                {
                    "name": "x",
                    "tasks": [{"task_key": "a", "spark_python_task": {"python_file": "f"}}],
                    "schedule": {
                        "quartz_cron_expression": "0 0 2 * * ?",
                        "timezone_id": "Mars/Olympus",
                    },
                },
                "timezone_id",
            ),
            (
                {
                    "name": "x",
                    "tasks": [{"task_key": "a", "spark_python_task": {"python_file": "f"}}],
                    "colour": "red",
                },
                "colour",
            ),
        ],
    )
    def test_bad_settings_name_the_field(
        self, service: JobService, settings: dict[str, Any], field: str
    ) -> None:
        with pytest.raises(
            InvalidParameterValue, match=field.replace("[", r"\[").replace("]", r"\]")
        ):
            service.create(settings)

    def test_dependency_cycle(self, service: JobService) -> None:
        settings = {
            "name": "c",
            "tasks": [
                {
                    "task_key": "a",
                    "depends_on": [{"task_key": "b"}],
                    "spark_python_task": {"python_file": "f"},
                },
                {
                    "task_key": "b",
                    "depends_on": [{"task_key": "a"}],
                    "spark_python_task": {"python_file": "f"},
                },
            ],
        }
        with pytest.raises(InvalidParameterValue, match="cycle"):
            service.create(settings)

    # ------------------------------------------------------------ runs
    def test_run_now_parameters_and_concurrency(self, service: JobService) -> None:
        job_id = service.create(simple_settings())
        run_id = service.run_now(job_id, {"alpha": 0.9})
        run = service.get_run(run_id)
        assert run["job_id"] == job_id
        assert run["state"]["life_cycle_state"] == "PENDING"
        assert run["trigger"] == "ONE_TIME"
        assert run["job_parameters"] == [{"name": "alpha", "value": "0.9"}]
        with pytest.raises(InvalidParameterValue, match="job_parameters.beta"):
            service.run_now(job_id, {"beta": 1})
        skipped = service.get_run(service.run_now(job_id))  # max_concurrent_runs is 1
        assert skipped["state"]["life_cycle_state"] == "SKIPPED"
        assert "max_concurrent_runs" in skipped["state"]["state_message"]
        listed = service.list_runs(job_id)
        assert [r["run_id"] for r in listed["runs"]] == [skipped["run_id"], run_id]
        assert [r["run_id"] for r in service.list_runs(job_id, active_only=True)["runs"]] == [
            run_id
        ]
        with pytest.raises(ResourceDoesNotExist):
            service.get_run(99999)
        with pytest.raises(InvalidParameterValue, match="run_id"):
            service.get_run("abc")

    def test_claim_once_task_runs_and_cancel(self, service: JobService, clock: ManualClock) -> None:
        store = service.store
        job_id = service.create(simple_settings())
        run_id = service.run_now(job_id)
        assert store.pending_run_ids(10) == [run_id]
        assert store.claim_run(run_id, "w1", clock()) is True
        assert store.claim_run(run_id, "w2", clock()) is False
        task_id = store.create_run(
            job_id,
            "ONE_TIME",
            {"task_key": "train"},
            {},
            clock(),
            life_cycle_state="RUNNING",
            parent_run_id=run_id,
            task_key="train",
            attempt_number=0,
        )
        run = store.get_run(run_id)
        assert [t.run_id for t in run.tasks] == [task_id]
        assert run.worker_id == "w1"
        service.cancel_run(run_id)
        flagged = store.get_run(run_id)
        assert flagged.cancel_requested and flagged.tasks[0].cancel_requested
        pending = service.run_now(service.create(simple_settings(name="p")))
        service.cancel_run(pending)
        state = service.get_run(pending)["state"]
        assert (state["life_cycle_state"], state["result_state"]) == ("TERMINATED", "CANCELED")

    def test_update_run_is_conditional(self, service: JobService, clock: ManualClock) -> None:
        store = service.store
        run_id = service.run_now(service.create(simple_settings()))
        assert not store.update_run(run_id, expected_states=("RUNNING",), result_state="SUCCESS")
        assert store.update_run(run_id, expected_states=("PENDING",), state_message="x")
        assert store.get_run(run_id).state_message == "x"

    def test_stale_runs_by_heartbeat(self, service: JobService, clock: ManualClock) -> None:
        store = service.store
        run_id = service.run_now(service.create(simple_settings()))
        store.claim_run(run_id, "dead-worker", clock())
        assert store.stale_runs(clock()) == []
        clock.advance(60_000)
        assert [r.run_id for r in store.stale_runs(clock() - 30_000)] == [run_id]
        store.heartbeat("dead-worker", [run_id], clock())
        assert store.stale_runs(clock() - 30_000) == []

    # ------------------------------------------------------------ schedules
    def test_schedule_fires_each_time_once(self, service: JobService, clock: ManualClock) -> None:
        job_id = service.create(
            simple_settings(
                schedule={"quartz_cron_expression": "*/10 * * * * ?", "timezone_id": "UTC"},
                max_concurrent_runs=100,
            )
        )
        assert service.fire_due_schedules() == []
        clock.advance(35_000)  # fire times at +10s, +20s, +30s
        first = service.fire_due_schedules()
        assert len(first) == 3
        assert service.fire_due_schedules() == []  # a second scheduler finds nothing left
        times = sorted(service.store.get_run(r).scheduled_time or 0 for r in first)
        from modelyard.testing.jobs_contract import T0

        assert times == [T0 + 10_000, T0 + 20_000, T0 + 30_000]
        # a stale scheduler that still holds the old cursor cannot fire a time again
        assert (
            service.store.fire_schedule(job_id, None, T0 + 10_000, {}, {}, "PENDING", None, clock())
            is None
        )
        assert (
            service.store.fire_schedule(
                job_id, T0 + 30_000, T0 + 30_000, {}, {}, "PENDING", None, clock()
            )
            is None
        )
        runs = service.list_runs(job_id, limit=100)["runs"]
        assert {r["trigger"] for r in runs} == {"PERIODIC"}
        assert len(runs) == 3

    def test_paused_schedule_and_resume(self, service: JobService, clock: ManualClock) -> None:
        sched = {
            "quartz_cron_expression": "0 * * * *",
            "timezone_id": "UTC",
            "pause_status": "PAUSED",
        }
        job_id = service.create(simple_settings(schedule=sched))
        clock.advance(3 * 3_600_000)
        assert service.fire_due_schedules() == []
        service.update(job_id, {"schedule": {**sched, "pause_status": "UNPAUSED"}})
        assert service.fire_due_schedules() == []  # resumed: fires from now on, no backlog
        clock.advance(3_600_000)
        assert len(service.fire_due_schedules()) == 1
