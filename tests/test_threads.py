"""The CPU plan (course_lib.threads): workers and model threads from what loading and the model cost."""
import math
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import Callback, ConvLearner, ImageClassifierData, tfms_from_model
from course_lib import data as D
from course_lib import threads as T
from course_lib.threads import Costs, Plan, batch_time, plan

# made-up costs of the order bench/workers.py measured on a 2-core CPU (seconds per batch)
LITE0_224 = Costs(load_s=0.45, step_s=3.0, threads=2)  # bs 32: the model costs about 7x the loading
MINI_64 = Costs(load_s=0.11, step_s=0.08, threads=2)  # resnet_mini, bs 64: loading costs more than the step


def test_a_heavy_model_with_cheap_data_keeps_every_core_whatever_the_workers():
    p = plan(LITE0_224, cores=2)
    assert (p.workers, p.threads) == (0, 2)  # loading in line costs 0.45 s; a core for it would cost 3 s
    for w in (1, 2, 4, 8):  # the case: num_workers=2 used to leave the model one thread of two
        p = plan(LITE0_224, cores=2, num_workers=w)
        assert (p.workers, p.threads, p.worker_cores) == (w, 2, 0)
    assert plan(LITE0_224, cores=2, num_workers=0).threads == 2


def test_cheap_data_on_many_cores_gets_one_worker_and_the_model_the_rest():
    costs = Costs(load_s=0.45, step_s=0.5, threads=16)  # the same loading beside a model 16 cores make fast
    p = plan(costs, cores=16)
    # one core loads a batch (0.45 s) faster than 15 threads step (0.53 s): loading is hidden, not in line
    assert (p.workers, p.threads) == (1, 15)
    assert p.batch_s == pytest.approx(0.5 * 16 / 15)
    assert p.batch_s < batch_time(costs, 16, 0) / 1.7  # against 0.95 s with the loading in line
    # eight workers asked for: the seven idle ones take no core from the model
    assert (plan(costs, 16, num_workers=8).threads, plan(costs, 16, num_workers=8).workers) == (15, 8)


def test_expensive_data_on_few_cores_gets_the_cores_it_keeps_busy():
    p2 = plan(MINI_64, cores=2)
    assert (p2.workers, p2.threads) == (1, 1)  # 0.16 s per batch against 0.19 s with no worker
    assert p2.workers_use(MINI_64) > 0.5  # the worker's core is busy most of the time
    p4 = plan(MINI_64, cores=4)
    assert (p4.workers, p4.threads) == (2, 2)  # model 0.08 s on 2 threads, loading 0.055 s on 2 cores
    assert p4.batch_s == pytest.approx(0.08)
    # asked for one worker on 4 cores: it gets its core, the model the other three
    assert (plan(MINI_64, 4, num_workers=1).workers, plan(MINI_64, 4, num_workers=1).threads) == (1, 3)


costs_st = st.builds(Costs, load_s=st.floats(0.0, 10.0), step_s=st.floats(1e-3, 10.0), threads=st.integers(1, 64))


@settings(max_examples=300, deadline=None)
@given(costs=costs_st, cores=st.integers(1, 64), num_workers=st.one_of(st.none(), st.integers(0, 32)))
def test_the_plan_honours_the_workers_and_takes_only_cores_they_use(costs, cores, num_workers):
    p = plan(costs, cores, num_workers)
    assert 1 <= p.threads <= cores and p.threads + p.worker_cores == cores
    if num_workers is not None:
        assert p.workers == num_workers and p.worker_cores <= num_workers  # honoured; no core beyond them
    else:
        assert p.workers == p.worker_cores
    # a core goes to the workers only where they keep it busy: never more cores than they use, rounded up
    assert p.worker_cores <= math.ceil(p.workers_use(costs) + 1e-9)
    if cores == 2:  # and on two cores only where they keep it busy more than half the time
        assert p.threads >= cores - round(p.workers_use(costs))
    # never predicted slower than the loading in line on every core, nor than the old cores-minus-workers rule
    assert p.batch_s <= batch_time(costs, cores, 0) + 1e-12
    if num_workers:
        assert p.batch_s <= batch_time(costs, cores, min(num_workers, cores - 1)) + 1e-12


def test_thread_override_is_checked(monkeypatch):
    monkeypatch.delenv("COURSE_LIB_THREADS", raising=False)
    assert T.thread_override() is None
    monkeypatch.setenv("COURSE_LIB_THREADS", "3")
    assert T.thread_override() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("COURSE_LIB_THREADS", bad)
        with pytest.raises(ValueError, match="COURSE_LIB_THREADS must be a whole number >= 1"):
            T.thread_override()


def test_load_cost_leaves_the_random_streams_alone(tiny_data):
    import random
    random.seed(1)
    torch.manual_seed(1)
    a = (random.random(), torch.rand(1).item())
    random.seed(1)
    torch.manual_seed(1)
    cost = T.load_cost(tiny_data.trn_ds, bs=8)  # training transforms draw random augmentations
    assert cost > 0
    assert (random.random(), torch.rand(1).item()) == a


# ------------------------------------------------------------------ the plan in fit, lr_find and predict

class Threads(Callback):
    """Records the model's threads at each batch, and the training loader's workers at each epoch."""
    order = 90

    def __init__(self):
        self.train, self.valid, self.workers = [], [], []

    def before_train(self):
        self.workers.append(self.learn.trn_dl.num_workers)

    def after_loss(self):
        (self.train if self.learn.training else self.valid).append(torch.get_num_threads())


def _learner(path, num_workers, bs=8):
    tfms = tfms_from_model("resnet_mini", 32)
    data = ImageClassifierData.from_paths(path, bs=bs, tfms=tfms, num_workers=num_workers)
    return ConvLearner.pretrained("resnet_mini", data, pretrained=False, device="cpu", amp=False)


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(T, "cpu_cores", lambda: 2)
    monkeypatch.delenv("COURSE_LIB_THREADS", raising=False)
    old = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(old)


def fake_plan(monkeypatch, **kw):
    """Replace the plan by a fixed one (the policy is tested above); returns the costs it was asked about."""
    seen = []

    def fixed(costs, cores, num_workers=None):
        seen.append((costs, cores, num_workers))
        return Plan(**{"workers": 0 if num_workers is None else num_workers, "worker_cores": 0, "batch_s": 1.0, **kw})
    monkeypatch.setattr(T, "plan", fixed)
    return seen


def test_fit_with_workers_times_two_batches_then_plans_and_puts_the_threads_back(tiny_path, two_cores,
                                                                                  monkeypatch):
    learn = _learner(tiny_path, num_workers=1)
    seen = fake_plan(monkeypatch, threads=2)
    rec = Threads()
    learn.fit(1e-3, 1, cbs=[rec])
    # until the step is timed the worker keeps its core; then the plan's threads
    assert rec.train == [1, 1, 2, 2]
    costs, cores, nw = seen[0]
    assert cores == 2 and nw == 1 and costs.threads == 1 and costs.step_s > 0 and costs.load_s > 0
    assert learn.data.load_s == costs.load_s  # timed on a few images here: the worker loads out of sight
    assert torch.get_num_threads() == 2
    rec = Threads()
    learn.fit(1e-3, 1, cbs=[rec])
    assert rec.train == [2, 2, 2, 2]  # the same state again: planned from its first batch
    assert learn.data.num_workers == 1 and learn.data.trn_dl.num_workers == 1  # asked for, kept


def test_threads_come_back_after_an_error(tiny_path, two_cores, monkeypatch):
    learn = _learner(tiny_path, num_workers=1)
    fake_plan(monkeypatch, threads=2)

    class Boom(Callback):
        def after_loss(self):
            if self.learn.training and self.learn.i_batch == 0:
                raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        learn.fit(1e-3, 1, cbs=[Boom()])
    assert torch.get_num_threads() == 2  # the conservative start (1 thread) did not leak out


def test_the_thread_override_wins(tiny_path, two_cores, monkeypatch):
    learn = _learner(tiny_path, num_workers=1)
    monkeypatch.setenv("COURSE_LIB_THREADS", "1")
    rec = Threads()
    learn.fit(1e-3, 1, cbs=[rec])
    assert set(rec.train) == {1} and set(rec.valid) == {1}
    assert torch.get_num_threads() == 2


def test_without_workers_the_model_keeps_every_thread(tiny_learn, two_cores, monkeypatch):
    seen = fake_plan(monkeypatch, threads=1)
    rec = Threads()
    tiny_learn.fit(1e-3, 1, cbs=[rec])  # num_workers=0 given: nothing to plan, nothing timed
    assert set(rec.train) == {2} and seen == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="automatic worker counts are Linux-only (fork)")
def test_default_workers_follow_the_plan_from_the_next_epoch(tiny_path, two_cores, monkeypatch):
    monkeypatch.setattr(D, "default_device", lambda: torch.device("cpu"))
    learn = _learner(tiny_path, num_workers=None)
    assert learn.data.num_workers == 0 and learn.data.auto_workers
    seen = fake_plan(monkeypatch, workers=1, worker_cores=1, threads=1)
    rec = Threads()
    learn.fit(1e-3, 2, cbs=[rec])
    costs, _, nw = seen[0]
    assert nw is None and costs.load_s > 0 and costs.threads == 2  # timed without workers, on every core
    assert learn.data.load_s == costs.load_s  # loaded in this process: the wait was the loading
    assert rec.workers == [0, 1]  # the second epoch loads with the planned worker
    assert learn.data.num_workers == 1 and learn.data.auto_workers
    assert rec.train[:4] == [2, 2, 2, 2] and rec.train[4:] == [1, 1, 1, 1]
    resized = learn.data.resize_to(24)
    assert resized.auto_workers and resized.num_workers == 0  # another size: measured again


def test_predict_follows_the_plan_too(tiny_path, two_cores, monkeypatch):
    learn = _learner(tiny_path, num_workers=1, bs=4)
    fake_plan(monkeypatch, threads=2)
    seen = []
    hook = learn.model.register_forward_hook(lambda *a: seen.append(torch.get_num_threads()))
    learn.predict()
    hook.remove()
    assert seen == [1, 1, 2, 2] and torch.get_num_threads() == 2


def test_default_workers_by_platform(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(D, "default_device", lambda: torch.device("cpu"))
    for n in (2, 16):
        monkeypatch.setattr(D.os, "cpu_count", lambda: n)
        assert D.default_workers() == 0  # on the CPU the first fit measures and picks the count
    monkeypatch.setattr(D, "default_device", lambda: torch.device("cuda"))
    assert D.default_workers() == 4  # a GPU: loading is the work to spread
    monkeypatch.setattr(D.os, "cpu_count", lambda: 2)
    assert D.default_workers() == 1
    for plat in ("win32", "darwin"):
        monkeypatch.setattr(sys, "platform", plat)
        assert D.default_workers() == 0  # spawn would re-run an unguarded script in every worker


def test_a_pass_shorter_than_the_timing_plans_from_what_it_had(tiny_path, two_cores, monkeypatch):
    learn = _learner(tiny_path, num_workers=1, bs=16)  # one validation batch, fewer than threads.N_TIMED
    fake_plan(monkeypatch, threads=2)
    rec = Threads()
    learn.fit(1e-3, 2, cbs=[rec])
    assert rec.valid == [1, 2]  # the first validation timed its only batch; the second starts with the plan
    assert rec.train == [1, 1, 2, 2]
