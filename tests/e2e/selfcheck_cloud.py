"""Run only by test_cleanup.py, in a child pytest: builds the cloud, records what
it made, then ends the way NSMP_E2E_SELFCHECK says (a failing assertion, SIGTERM
as ctest's timeout sends, or SIGKILL)."""

import json
import os
import signal


def test_selfcheck(cloud):
    made = {"namespaces": [cloud.topo.service_ns] + [v.name for v in cloud.topo.vms],
            "pids": [cloud.proxy.pid, cloud.server.pid]}
    with open(os.environ["NSMP_E2E_RECORD"], "w") as f:
        json.dump(made, f)
    how = os.environ["NSMP_E2E_SELFCHECK"]
    if how == "sigterm":
        os.kill(os.getpid(), signal.SIGTERM)
    elif how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    assert how == "never", "this test fails on purpose"
