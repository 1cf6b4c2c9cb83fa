#!/usr/bin/env python3
"""Counts the instructions of the profiled counter round trips.

Reads QEMU's `-singlestep -d exec,nochain` log (one line per executed
instruction) from stdin, keeps the instructions between the firmware's
`profile_begin` and `profile_end` markers (src/profile.rs), maps each
address to the functions it was inlined from (the firmware's line tables,
`llvm-addr2line -i`), books it to the first phase that matches, innermost
frame first, and prints instructions per round trip by phase and by
function. Run by `./profile`.
"""

import collections
import re
import subprocess
import sys

# (phase, pattern), tried on each frame from the innermost outward as
# "function @ file" (inlined frames carry short names; their files name the
# crate): the first frame that matches any pattern names the phase.
PHASES = [
    ("heap: alloc + free", r"embedded.alloc|/rlsf-|__rust_alloc|__rust_dealloc|__rust_realloc|__rdl_|__rg_|/alloc/src/alloc.rs|raw_vec"),
    ("memcpy / memset", r"memcpy|memset|memmove|memclr|__aeabi_mem|compiler_builtins::mem|/compiler_builtins-[^/]*/src/mem"),
    ("u64 division", r"udivmod|u64_div_rem|uldivmod|/compiler_builtins-[^/]*/src/int"),
    ("critical sections", r"/critical-section-|/cortex-m-0[^/]*/src/interrupt|_critical_section|/cortex-m-0[^/]*/src/register"),
    ("postcard encode / decode", r"/postcard-|/serde"),
    ("channel (embassy-sync)", r"/embassy-sync-"),
    ("executor: wake, schedule, poll", r"/embassy-executor-|__pender|core/src/task/wake.rs"),
    ("trace hooks (qemu-checks)", r"_embassy_trace|qemu-checks/src/trace.rs"),
    ("SysTick, timer, timeout", r"/embassy-time|qemu-host/src/clock.rs|SysTick"),
    ("ABI rules (checks, copy)", r"wasm-sdk-abi/src/rules.rs"),
    ("ChannelEnv (input, pop, send)", r"<wasm_sdk_embassy::ChannelEnv as|InputPort"),
    ("drive (wasm-sdk-embassy)", r"wasm-sdk-embassy/src"),
    ("host-call glue (binding)", r"wasm-sdk-host/src/binding.rs"),
    ("wasmi fuel get/set", r"[Ff]uel @ .*/wasmi"),
    ("wasmi: Wasm instructions", r"/wasmi"),
    ("Guest::step (state machine)", r"wasm-sdk-host/src"),
    ("service (check loop)", r"qemu-host/src|qemu-checks/src"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in PHASES]
# wasmi's own frames are the resumable-call machinery (suspend on a host
# error, resume, call a host function) when any frame of the chain is one
# of these, else the interpreter running the guest's code.
WASMI_CALLS = re.compile(
    r"^(resume|resume_func|resume_func_host_trap|with_stack|revert|take_stack|call_resumable|"
    r"execute_root_func|wasmi::error::Error::from_kind|from_kind|host|new<wasmi::error::ErrorKind>|"
    r"call_imported|call_host|call_host_func|dispatch_host_func|into_func|.*IntoFunc.*|"
    r"provide_host_results|write_results|validate_inputs|prepare_outputs|update|"
    r".*Resumable.*|.*drop_in_place<wasmi.*|.*HostError.*|.*ErrorKind.*|restore|"
    r"wasmi::engine::executor::handler::dispatch::backend::Executor::call_imported|"
    r"wasmi::engine::executor::handler::args::Args::call_wasm_or_host_func)\b"
)


def symbol(elf, name):
    out = subprocess.run(["llvm-nm", elf], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16) & ~1
    sys.exit(f"profile.py: no symbol {name} in {elf}")


def frames(elf, addresses):
    """Each address's inline chain, innermost first."""
    text = "\n".join(hex(a) for a in addresses) + "\n"
    out = subprocess.run(
        ["llvm-addr2line", "-e", elf, "-a", "-f", "-i", "-C"],
        input=text, capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    chains, current, i = {}, None, 0
    while i < len(out):
        line = out[i]
        if line.startswith("0x"):
            current = int(line, 16)
            chains[current] = []
            i += 1
            continue
        where = out[i + 1] if i + 1 < len(out) else ""
        chains[current].append(f"{demangle(line)} @ {where}")
        i += 2  # function name, then file:line
    return chains


def phase_of(chain):
    for frame in chain:
        for name, pattern in COMPILED:
            if pattern.search(frame):
                if name == "wasmi: Wasm instructions" and any(
                    WASMI_CALLS.match(f.split(" @ ")[0]) for f in chain
                    if "/wasmi" in f or "/core/src/ptr" in f or "/alloc/src/boxed" in f
                ):
                    return "wasmi: suspend, resume, host call"
                return name
    return "other (drop glue, small helpers)"


# Booked again by the phase that called them (the last other one).
HELPERS = ("heap: alloc + free", "memcpy / memset", "critical sections", "u64 division")


def demangle(name):
    """What `llvm-addr2line -C` leaves of a legacy-mangled Rust name."""
    for code, char in (("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$C$", ","),
                       ("$RF$", "&"), ("$LP$", "("), ("$RP$", ")"), ("$BP$", "*"),
                       ("$u7b$", "{"), ("$u7d$", "}"), ("$u5b$", "["), ("$u5d$", "]"),
                       ("$u27$", "'"), ("..", "::")):
        name = name.replace(code, char)
    return re.sub(r"::h[0-9a-f]{16}$", "", name.lstrip("_"))


def main():
    elf, trips = sys.argv[1], int(sys.argv[2])
    begin, end = symbol(elf, "profile_begin"), symbol(elf, "profile_end")
    pc_re = re.compile(rb"\[[0-9a-f]+/([0-9a-f]+)/")
    trace = []
    inside = False
    for line in sys.stdin.buffer:
        m = pc_re.search(line)
        if not m:
            continue
        pc = int(m.group(1), 16)
        if not inside:
            inside = pc == begin
            continue
        if pc == end:
            break
        trace.append(pc)
    else:
        sys.exit("profile.py: markers not found in the log")
    chains = frames(elf, sorted(set(trace)))
    phases = {pc: phase_of(chain) for pc, chain in chains.items()}
    total = len(trace)
    by_phase, by_function = collections.Counter(), collections.Counter()
    helpers = collections.Counter()
    functions_of = collections.defaultdict(collections.Counter)
    caller, caller_pc = "?", 0
    sites = collections.Counter()
    for pc in trace:
        chain = chains.get(pc, [])
        phase = phases[pc]
        by_phase[phase] += 1
        # The innermost frame outside `core`, as the function.
        named = [f for f in chain if "/core/src/" not in f] or chain or ["?"]
        named = [f.split(" @ ")[0] for f in named]
        by_function[named[0][:110]] += 1
        functions_of[phase][named[0][:100]] += 1
        if phase in HELPERS:
            helpers[(phase, caller)] += 1
            sites[(phase, caller_pc)] += 1
        else:
            caller, caller_pc = phase, pc
    print(f"{total / trips:,.0f} instructions per round trip ({trips} round trips)\n")
    print("| phase | instructions | share |\n|---|---:|---:|")
    for name, n in by_phase.most_common():
        print(f"| {name} | {n / trips:,.0f} | {100 * n / total:.1f} % |")
    print(f"| **total** | **{total / trips:,.0f}** | |")
    print("\nheap and memcpy by the phase that called them:")
    for (helper, phase), n in helpers.most_common():
        print(f"{n / trips:8,.0f}  {helper} <- {phase}")
    if "-v" in sys.argv:
        print("\nhelper call sites (the caller's inline chain):")
        for (helper, pc), n in sites.most_common(25):
            print(f"{n / trips:8,.0f}  {helper} <- {pc:#x}")
            for frame in chains.get(pc, [])[:7]:
                print(f"            {frame[:160]}")
    print("\nfunctions by phase (innermost frame outside core):")
    for name, n in by_phase.most_common():
        print(f"{name}: {n / trips:,.0f}")
        for function, m in functions_of[name].most_common(8):
            print(f"  {m / trips:8,.0f}  {function}")


main()
