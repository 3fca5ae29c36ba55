"""The harness itself: the browser test may skip locally without Chromium, never in CI."""

import shutil

import pytest

from vgpt_dagster_tests.ops.conftest import OPS_OVERRIDES, chromium_or_skip


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


def test_ops_projects_are_smoke_scale():
    assert OPS_OVERRIDES["datasets.yaml"]["scale"] <= 0.01
    assert OPS_OVERRIDES["validation.yaml"]["generation"]["limit"] <= 8
