"""The harness itself: the browser test may skip locally without Chromium, never in CI; waits fail on a hang
(or a dead process), reported as such, never on speed."""

import shutil

import pytest

from vgpt_dagster_tests.support.processes import chromium_or_skip, wait_until


def test_missing_chromium_skips_locally(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        chromium_or_skip()


def test_missing_chromium_fails_in_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but `chromium` is not on PATH"):
        chromium_or_skip()


def test_present_chromium_is_used(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/chromium" if name == "chromium" else None)
    assert chromium_or_skip() == "/usr/bin/chromium"


def test_wait_until_returns_what_it_waited_for():
    calls = iter([None, 0, "done"])
    assert wait_until(lambda: next(calls), "a value", poll=0) == "done"


def test_wait_until_reports_a_process_that_ended_first_at_once():
    with pytest.raises(AssertionError, match=r"the process ended before the step started:\nlog tail"):
        wait_until(lambda: False, "the step started", alive=lambda: False, details=lambda: "log tail")


def test_wait_until_reports_a_hang_as_a_hang_not_as_slowness():
    with pytest.raises(AssertionError, match=r"HANG: still waiting for the slot to free after 0 s \(a hang guard"):
        wait_until(lambda: False, "the slot to free", poll=0, hang_after=0.01)
