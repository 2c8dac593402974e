"""The fault soak, short: a minute of faults with six sessions, the same assertions as bench/soak.py.

It starts its own emulator (rate limit on) and its own console under gunicorn, so it needs no
fixture; it takes about two minutes. `python bench/soak.py --minutes 5 --sessions 20` is the long one.
"""

import pytest

from bench.soak import Soak, SoakConfig, report

SHORT = SoakConfig(
    sessions=6,
    accounts=2,
    minutes=0.75,
    settle_seconds=90,
    max_requests=3000,
    storm_every=20,
    expire_every=20,
)


@pytest.mark.soak
@pytest.mark.timeout(600)
def test_short_soak_holds_every_assertion():
    result = Soak(SHORT, say=lambda *_: None).run()

    assert result["problems"] == [], report(result)
    # It did what a soak must do: faults met, storms and token expiries survived, actions failed
    # and succeeded, volumes made.
    assert result["storms"] >= 1
    assert result["token_expiries"] >= 1
    assert result["relogins"] >= 1
    assert result["ended_with_message"] >= 1
    assert result["succeeded"] > 0
    assert result["failed"] > 0
    assert result["failed_with_message"] == result["failed"]
    assert result["volumes_created"] > 0
    assert all(p["rows"] == p["emulator"] > 0 for p in result["projects"])
