"""Schedules against their closed form."""
import math

import numpy as np
import pytest

from course_lib.schedules import (cycle_epochs, find_lrs, n_epochs, restart_epochs, sgdr_mult, sgdr_schedule,
                                  smooth)


@pytest.mark.parametrize("args,expected", [((3, None, 1), 3), ((3, 1, 1), 3), ((3, 1, 2), 7), ((2, 2, 1), 4),
                                           ((4, 1, 2), 15), ((3, 2, 3), 26)])
def test_epoch_counts(args, expected):
    assert n_epochs(*args) == expected


def test_cycle_lengths_and_restarts():
    assert cycle_epochs(3, 1, 2) == [1, 2, 4]
    assert restart_epochs(3, 1, 2) == [1.0, 3.0]


def test_constant_without_cycle_len():
    assert all(sgdr_mult(i, 10, None) == 1.0 for i in range(50))


def test_sgdr_closed_form():
    nb = 40
    s = sgdr_schedule(nb, 3, cycle_len=1, cycle_mult=2)
    assert len(s) == 7 * nb
    # warm-up: the first 1/20 of the first cycle at lr/100
    assert np.allclose(s[:2], 0.01) and s[2] == pytest.approx((math.cos(math.pi * 2 / nb) + 1) / 2)
    # restarts at the start of epochs 1 and 3 jump back to the full lr
    for start, length in [(nb, 2 * nb), (3 * nb, 4 * nb)]:
        assert s[start] == pytest.approx(1.0)
        assert s[start - 1] < 0.01
        assert s[start + length // 2] == pytest.approx(0.5)
        t = np.arange(length)
        assert np.allclose(s[start:start + length], (np.cos(np.pi * t / length) + 1) / 2)


def test_sgdr_no_warmup_starts_at_one():
    assert sgdr_mult(0, 10, 1, warmup=False) == 1.0


def test_find_lrs():
    lrs = find_lrs(1e-5, 10, 7)
    assert lrs[0] == pytest.approx(1e-5) and lrs[-1] == pytest.approx(10)
    assert np.allclose(np.diff(np.log(lrs)), np.log(10 / 1e-5) / 6)
    lin = find_lrs(0.1, 1.0, 10, linear=True)
    assert np.allclose(np.diff(lin), 0.1)
    with pytest.raises(ValueError):
        find_lrs(1e-5, 1, 1)


def test_smooth_is_debiased():
    s = smooth([2.0, 2.0, 2.0])
    assert np.allclose(s, 2.0)  # a constant stays constant: no pull towards zero
    s = smooth([1.0, 3.0], beta=0.5)
    assert s[1] == pytest.approx((0.25 * 1 + 0.5 * 3) / 0.75)


def test_find_curve_reads_the_last_group_and_trims_the_noisy_ends():
    from course_lib.schedules import find_curve, skips, smooth
    lrs = np.stack([np.logspace(-7, -1, 100), np.logspace(-5, 1, 100)], 1)  # two groups, 100x apart
    losses = np.linspace(2, 1, 100)
    c = find_curve(lrs, losses)
    assert skips(100) == (10, 5) and len(c.lrs) == len(c.losses) == len(c.raw) == 85
    np.testing.assert_allclose(c.lrs, lrs[10:95, 1])              # the last group's rates
    np.testing.assert_allclose(c.losses, smooth(losses)[10:95])   # smoothed over the whole sweep, then trimmed
    np.testing.assert_allclose(c.raw, losses[10:95])
    assert skips(24) == (2, 2) and skips(4) == (0, 0) and skips(30, 0, 0) == (0, 0)
    assert len(find_curve(lrs[:, 1], losses, 0, 0, beta=0.0).losses) == 100
