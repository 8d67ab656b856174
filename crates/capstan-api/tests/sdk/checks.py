"""What the SDK scripts share: their settings from the environment,
counted checks, and the run that ends with "NAME: N passed, M failed"
(the line scripts/api-sdk-test.sh reads) and the exit status."""

import asyncio
import os
import sys
import traceback

API_URL = os.environ["API_URL"]
WS_URL = os.environ["WS_URL"]
API_KEY = os.environ["API_KEY"]
WAIT = 10

results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    """Counts one check and prints its line."""
    if condition:
        results["passed"] += 1
        print(f"ok   {name}")
    else:
        results["failed"] += 1
        print(f"FAIL {name} {detail}")


def run(name, scenario):
    """Runs the coroutine function `scenario`, prints the summary line and
    exits (non-zero if a check failed or the scenario raised)."""
    try:
        asyncio.run(scenario())
    except Exception:  # a check that could not even run
        traceback.print_exc()
        results["failed"] += 1
    print(f"{name}: {results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)
