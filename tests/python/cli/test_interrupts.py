# SPDX-License-Identifier: Apache-2.0
import os
import signal
import threading

import pytest

from synthfx.interrupts import interrupts_held


def test_ctrl_c_waits_for_the_block_then_interrupts() -> None:
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            steps.append("after the signal")  # still running: the signal is held
    assert steps == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_no_signal_no_interrupt_and_handler_restored() -> None:
    calls = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    try:
        with interrupts_held():
            pass
        assert calls == [] and signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        with interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            assert calls == []
        assert calls == [signal.SIGINT]  # the caller's own handler gets the held signal
    finally:
        signal.signal(signal.SIGINT, previous)


def test_an_error_in_the_block_still_restores_the_handler() -> None:
    with pytest.raises(ValueError):
        with interrupts_held():
            raise ValueError("boom")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_other_threads_leave_the_handler_alone() -> None:
    seen = []

    def body() -> None:
        with interrupts_held():
            seen.append(signal.getsignal(signal.SIGINT))

    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    assert seen == [signal.default_int_handler]
