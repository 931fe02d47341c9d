"""`python app.py` as a ZeroGPU Space runs it, for the emulator's tests: `spaces` in zero mode (SPACES_ZERO_GPU=true,
the device API at SPACES_ZERO_DEVICE_API_URL), then the app as `__main__`.

On a machine with a GPU nothing is replaced. Without one, exactly one step of `spaces` is: the worker's CUDA attach
(`spaces.zero.torch.init`, which runs `torch.Tensor([0]).cuda()`, and the `torch.cuda.synchronize()` of
`spaces.zero.torch.move`, which has nothing to move for this app), so the window's body runs in the forked worker
on the CPU. Everything else (the torch patching in the server, the start-up report, scheduling with the visitor's
token, the fork, `/allow`, the streamed results, `/release`) is the package's own code. The replacement writes one
line to ZEROGPU_EMULATOR_LOG each time it runs, so a test can say it happened.

Usage: python tests/zerogpu/space_app.py [app.py's flags]
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

import spaces  # noqa: F401  zero mode: patches torch before anything else imports it

ROOT = Path(__file__).resolve().parents[2]


def has_gpu() -> bool:
    return Path("/dev/nvidiactl").exists()


def attach_on_the_cpu() -> None:
    from spaces.zero import torch as zero_torch
    from spaces.zero.torch import patching

    def init(nvidia_uuid: str) -> None:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # the worker sees no GPU: torch trains on the CPU
        with open(os.environ["ZEROGPU_EMULATOR_LOG"], "a", encoding="utf-8") as log:
            log.write(f"replaced: CUDA attach of {nvidia_uuid} in worker {os.getpid()}\n")

    def move(callback=None) -> None:
        """move() puts on the GPU what the server placed on CUDA outside a window, then synchronizes the GPU. This
        app places nothing there (it loads models in the worker), so there is nothing to move, and the
        synchronize is the GPU step replaced; a server that had placed tensors could not be emulated here."""
        if patching.size() > 0:
            raise RuntimeError("the server placed tensors on CUDA outside a window: moving them needs a GPU")

    zero_torch.init = init
    zero_torch.move = move


if __name__ == "__main__":
    if not has_gpu():
        attach_on_the_cpu()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    sys.argv = [str(ROOT / "app.py"), *sys.argv[1:]]
    runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
