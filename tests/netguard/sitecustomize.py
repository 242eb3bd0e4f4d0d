"""Loaded by Python at start-up in test subprocesses: refuse every non-loopback connection."""
import os

if os.environ.get("RAG_TEST_NETGUARD") == "1":
    import netguard_impl

    netguard_impl.install()
