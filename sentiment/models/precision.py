"""The precision a run computes in: `--precision` (auto, fp32, bf16, fp16) resolved for the device it runs on.

`auto` picks the fastest precision that keeps the results: on a GPU, bf16 where the GPU has it and fp16
elsewhere; on a CPU, bf16 autocast where the CPU has bf16 instructions (AVX512-BF16 or AMX) and fp32
elsewhere. Without those instructions bf16 is emulated and 4-9x *slower* than fp32 for the head's
features, while with AMX it is 2-5x faster (docs/benchmarks.md §10), so a CPU that lacks them stays in fp32.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a precision is resolved: an n-gram run never imports torch
    import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
CPU_BF16_FLAGS = {"avx512_bf16", "amx_bf16"}  # /proc/cpuinfo's names for AVX512-BF16 and AMX's bf16 tiles


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively: AVX512-BF16 or AMX (x86; other CPUs answer no)."""
    # torch.backends.cpu.get_cpu_capability() can't tell: it names only the widest vector ISA ATen's own
    # kernels use, "AVX512" both on an AMX Xeon and on a Skylake that has no bf16 instruction at all.
    # torch.cpu's probes ask cpuinfo for the exact features (and they see what the hypervisor passes
    # through, as oneDNN does); they are private, so /proc/cpuinfo's flags stand in where they are missing.
    import torch

    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if all(callable(probe) for probe in probes):
        return any(probe() for probe in probes)
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        return False
    flags = {
        flag
        for line in cpuinfo.read_text().splitlines()
        if line.startswith("flags")
        for flag in line.split(":", 1)[1].split()
    }
    return bool(CPU_BF16_FLAGS & flags)


def resolve_precision(choice: str, device: str | torch.device | None = None) -> str:
    """`choice` as the precision to compute in on `device` (the GPU if there is one, else the CPU): "auto"
    becomes "bf16", "fp16" or "fp32"; an explicit choice is kept, except fp16, which a CPU can't train in."""
    import torch

    device = torch.device(device if device is not None else "cuda" if torch.cuda.is_available() else "cpu")
    if choice not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {choice!r}.")
    if choice == "fp16" and device.type == "cpu":
        raise ValueError("fp16 needs a GPU; on the CPU use --precision bf16 or fp32 (or auto).")
    if choice != "auto":
        return choice
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if device.type == "cpu":
        return "bf16" if cpu_has_bf16() else "fp32"
    return "fp32"  # other accelerators (MPS, XPU): untested here, so the safe choice
