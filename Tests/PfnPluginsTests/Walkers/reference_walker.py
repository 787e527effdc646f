#!/usr/bin/env python3
"""pfnspec's reference walker, ported to Python over the stdio walker protocol.

The runner writes requests (hello, start, end) to this program's standard
input, one JSON object per line; the walk asks the runner for every entry,
lock and helper with host calls on standard output and reads each answer
back. docs/protocol.md specifies the messages.

    pfnspec run --walker-cmd 'python3 reference_walker.py'

With an argument, the walker misbehaves for addresses in odd pages, for the
tests of what the runner does then: crash, abort, hang, exit, garbage,
close-stdout (and spin); after answering: answer-twice, answer-twice-later
(0.2 s later), answer-then-exit.
"""
import json
import os
import signal
import sys
import time

PROTOCOL = 2
EINVAL = 22
VM_IO = 0x4000
VM_PFNMAP = 0x400
U64 = (1 << 64) - 1


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def receive():
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return json.loads(line)


def number(value):
    return int(value, 16) if isinstance(value, str) else value


class Fault(Exception):
    """The runner answered a host call with a fault: the walk is over."""


class Host:
    """The host calls of docs/protocol.md, as methods."""

    def __init__(self, arch, request_id):
        self.page_shift = arch["page_shift"]
        self.shifts = arch["shifts"]
        self.id = request_id

    def call(self, call, **fields):
        send(dict(call=call, id=self.id, **fields))
        reply = receive()
        if "fault" in reply:
            raise Fault(reply["fault"])
        return reply["ok"]

    def mask(self, level):
        return ~((1 << self.shifts[level]) - 1) & U64

    def pgd_offset(self, mm, address):
        return self.call("pgd_offset", mm=mm, address=hex(address))

    def offset(self, level, parent, address):
        return self.call("offset", level=level, parent=parent, address=hex(address))

    def read(self, level, entry):
        return number(self.call("read", level=level, entry=entry))

    def helper(self, name, level, value):
        answer = self.call("helper", name=name, level=level, value=hex(value))
        return number(answer) if isinstance(answer, str) else answer

    def lock(self, level, mm, entry):
        return self.call("pud_lock" if level == "pud" else "pmd_lock", mm=mm, entry=entry)

    def pte_offset_map_lock(self, mm, pmd, address):
        return self.call("pte_offset_map_lock", mm=mm, pmd=pmd, address=hex(address))

    def spin_unlock(self, lock):
        self.call("spin_unlock", lock=lock)

    def pte_unmap(self, pte):
        self.call("pte_unmap", pte=pte)

    def file_mapping(self, file):
        return self.call("file_mapping", file=file)

    def lockdep_is_held(self, lock, mapping=None):
        if mapping is None:
            return self.call("lockdep_is_held", lock=lock)
        return self.call("lockdep_is_held", lock=lock, mapping=mapping)

    def lockdep_assert(self, condition, what):
        self.call("lockdep_assert", condition=bool(condition), what=what)


def assert_caller_locks(vma, host):
    if vma["file"] is not None:
        mapping = host.file_mapping(vma["file"])
        held = host.lockdep_is_held("i_mmap_rwsem", mapping) or host.lockdep_is_held("mmap_lock")
        host.lockdep_assert(held, "i_mmap_rwsem or mmap_lock held")
    else:
        host.lockdep_assert(host.lockdep_is_held("mmap_lock"), "mmap_lock held")


def report(args, host, level, entry, lock, ptep):
    mask = host.mask(level)
    address = number(args["address"])
    offset = (address & ~mask & U64) >> host.page_shift
    args["pfn"] = hex(host.helper("pfn", level, entry) + offset)
    args["pgprot"] = hex(host.helper("pgprot", level, entry))
    args["writable"] = host.helper("write", level, entry)
    args["special"] = host.helper("special", level, entry)
    args["addr_mask"] = hex(mask)
    args["lock"] = lock
    args["ptep"] = ptep


def huge(args, host, level, pointer, lockless):
    """'reported', 'failed', 'retry' or 'table' for a PUD or PMD entry."""
    if not host.helper("present", level, lockless):
        return "failed"
    if not host.helper("leaf", level, lockless):
        return "table"
    lock = host.lock(level, args["vma"]["mm"], pointer)
    entry = host.read(level, pointer)
    if not host.helper("present", level, entry):
        host.spin_unlock(lock)
        return "failed"
    if not host.helper("leaf", level, entry):
        host.spin_unlock(lock)
        return "retry"
    report(args, host, level, entry, lock, None)
    return "reported"


def start(args, host):
    vma = args["vma"]
    mm = vma["mm"]
    address = number(args["address"])
    assert_caller_locks(vma, host)
    if not number(vma["start"]) <= address < number(vma["end"]):
        return -EINVAL
    if not number(vma["flags"]) & (VM_IO | VM_PFNMAP):
        return -EINVAL
    while True:
        pgdp = host.pgd_offset(mm, address)
        pgd = host.read("pgd", pgdp)
        if host.helper("none", "pgd", pgd) or host.helper("bad", "pgd", pgd):
            return -EINVAL
        p4dp = host.offset("p4d", pgdp, address)
        p4d = host.read("p4d", p4dp)
        if host.helper("none", "p4d", p4d) or host.helper("bad", "p4d", p4d):
            return -EINVAL
        pudp = host.offset("pud", p4dp, address)
        step = huge(args, host, "pud", pudp, host.read("pud", pudp))
        if step == "reported":
            return 0
        if step == "failed":
            return -EINVAL
        if step == "retry":
            continue
        pmdp = host.offset("pmd", pudp, address)
        step = huge(args, host, "pmd", pmdp, host.read("pmd", pmdp))
        if step == "reported":
            return 0
        if step == "failed":
            return -EINVAL
        if step == "retry":
            continue
        mapped = host.pte_offset_map_lock(mm, pmdp, address)
        if mapped is None:
            return -EINVAL
        pte = host.read("pte", mapped["pte"])
        if not host.helper("present", "pte", pte):
            host.spin_unlock(mapped["lock"])
            host.pte_unmap(mapped["pte"])
            return -EINVAL
        report(args, host, "pte", pte, mapped["lock"], mapped["pte"])
        return 0


def end(args, host):
    if args.get("lock") is not None:
        host.spin_unlock(args["lock"])
    if args.get("ptep") is not None:
        host.pte_unmap(args["ptep"])


# Faults that strike after the walker answered its request.
AFTER_ANSWER = ("answer-twice", "answer-twice-later", "answer-then-exit")


def misbehave(fault):
    if fault == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif fault == "abort":
        os.abort()
    elif fault == "hang":
        time.sleep(3600)
    elif fault == "exit":
        sys.exit(3)
    elif fault == "garbage":
        sys.stdout.write("Traceback? no: just text that is not JSON\n")
        sys.stdout.flush()
        receive()
    elif fault == "close-stdout":
        os.close(1)
        while True:
            pass


def main():
    fault = sys.argv[1] if len(sys.argv) > 1 else None
    name = "python-reference" + (":" + fault if fault else "")
    while True:
        request = receive()
        if request["op"] == "hello":
            send({"hello": {"protocol": PROTOCOL, "name": name, "api": "6.15", "profile": "strict",
                            "role": "mutant" if fault else "implementation",
                            "summary": "the reference walker in Python, over the stdio protocol"}})
            continue
        request_id = request["id"]
        host = Host(request["arch"], request_id)
        args = request["args"]
        strikes = fault and request["op"] == "start" and (number(args["address"]) >> host.page_shift) & 1
        try:
            if request["op"] == "start":
                if strikes and fault not in AFTER_ANSWER:
                    misbehave(fault)
                result = start(args, host)
            else:
                result = None
                end(args, host)
            send({"return": result, "args": args, "id": request_id})
        except Fault:
            send({"abandoned": True, "id": request_id})
        if strikes and fault == "answer-twice":
            send({"return": result, "args": args, "id": request_id})
        elif strikes and fault == "answer-twice-later":
            time.sleep(0.2)
            send({"return": result, "args": args, "id": request_id})
        elif strikes and fault == "answer-then-exit":
            sys.exit(0)


if __name__ == "__main__":
    main()
