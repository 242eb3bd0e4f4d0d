"""Tests run offline: a connection to any non-loopback address fails, loopback works."""
import socket
import subprocess
import sys

import pytest

from conftest import subprocess_env
from netguard_impl import OfflineViolation


def test_non_loopback_connection_fails():
    with socket.socket() as s, pytest.raises(OfflineViolation):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed


def test_subprocesses_are_guarded_too():
    code = "import socket; socket.socket().connect(('192.0.2.1', 80))"
    out = subprocess.run([sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True,
                         timeout=60)
    assert out.returncode != 0 and "OfflineViolation" in out.stderr
