#!/usr/bin/env python3
"""Check the totals of a pfnspec JUnit report with junitparser.

    check-junit.py REPORT.xml --expect-tests N --expect-failures N \
        --expect-errors N --expect-skipped N
    check-junit.py REPORT.xml --console-log pfnspec.log
    check-junit.py SUREFIRE-DIR/ REPORT.part2.xml ... --console-log pfnspec.log

Several reports (a directory stands for its TEST-*.xml files, as the
Surefire dialect writes them; a split report's part files are listed too)
are counted together.

Totals not given on the command line are taken from the console log's last
two lines (`errors: N` and `pfnspec: N passed, N failed, N skipped`).
Besides the expectations, the report's own counters (root and per suite) must
agree with its testcases. Exit status: 0 all agree, 1 a mismatch, 2 the
report or log cannot be read.
"""
import argparse
import os
import re
import sys

from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

CLOSING = re.compile(r"^pfnspec: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")
ERRORS = re.compile(r"^errors: (\d+)$")


def outcome(case):
    kinds = {type(result) for result in case.result}
    if Error in kinds:
        return "errors"
    if Failure in kinds:
        return "failures"
    if Skipped in kinds:
        return "skipped"
    return "passed"


def report_files(paths):
    """The files named, a directory standing for its TEST-*.xml files."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.startswith("TEST-") and n.endswith(".xml"))
            if not names:
                raise ValueError(f"{path}: no TEST-*.xml files")
            files += [os.path.join(path, n) for n in names]
        else:
            files.append(path)
    return files


def read_reports(paths):
    """Counts and mismatches summed over several report files."""
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "passed": 0}
    problems = []
    for path in report_files(paths):
        counted, found = read_report(path)
        for key in totals:
            totals[key] += counted[key]
        problems += [f"{path}: {p}" for p in found]
    return totals, problems


def read_report(path):
    """Counts from the testcases, and every mismatch with the counters."""
    xml = JUnitXml.fromfile(path)
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    # Read the root counters before anything recomputes them (junitparser
    # rewrites all counters when one, like the absent root `skipped`, is read).
    root = None if isinstance(xml, TestSuite) else {
        "tests": xml.tests, "failures": xml.failures, "errors": xml.errors}
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "passed": 0}
    problems = []
    for suite in suites:
        declared = {k: getattr(suite, k) for k in ("tests", "failures", "errors", "skipped")}
        counted = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "passed": 0}
        for case in suite:
            counted["tests"] += 1
            counted[outcome(case)] += 1
        for key, value in declared.items():
            if value != counted[key]:
                problems.append(f"suite '{suite.name}': {key}=\"{value}\" but it has {counted[key]}")
        for key in totals:
            totals[key] += counted[key]
    if root is not None:
        for key, value in root.items():
            if value != totals[key]:
                problems.append(f"<testsuites>: {key}=\"{value}\" but the file has {totals[key]}")
    return totals, problems


def read_console_log(path):
    with open(path, encoding="utf-8", errors="replace") as log:
        lines = [line.rstrip("\n") for line in log]
    closing = next((CLOSING.match(l) for l in reversed(lines) if CLOSING.match(l)), None)
    if closing is None:
        raise ValueError(f"{path}: no closing line 'pfnspec: N passed, N failed, N skipped'")
    errors = next((ERRORS.match(l) for l in reversed(lines) if ERRORS.match(l)), None)
    passed, failed, skipped = (int(g or 0) for g in closing.groups())
    error_count = int(errors.group(1)) if errors else 0
    return {"tests": passed + failed + error_count + skipped, "failures": failed,
            "errors": error_count, "skipped": skipped}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check a pfnspec JUnit report's totals.")
    parser.add_argument("report", nargs="+", help="report files, or Surefire directories")
    for key in ("tests", "failures", "errors", "skipped"):
        parser.add_argument(f"--expect-{key}", type=int, metavar="N", dest=key)
    parser.add_argument("--console-log", metavar="FILE",
                        help="take missing expectations from pfnspec's console output")
    args = parser.parse_args(argv)

    expected = {k: getattr(args, k) for k in ("tests", "failures", "errors", "skipped")}
    try:
        if args.console_log:
            for key, value in read_console_log(args.console_log).items():
                if expected[key] is None:
                    expected[key] = value
        totals, problems = read_reports(args.report)
    except Exception as error:  # junitparser, lxml and OS errors alike
        print(f"check-junit: cannot read: {error}", file=sys.stderr)
        return 2

    for key, value in expected.items():
        if value is not None and totals[key] != value:
            problems.append(f"expected {value} {key}, the report has {totals[key]}")
    name = " ".join(args.report)
    summary = ", ".join(f"{totals[k]} {k}" for k in ("tests", "failures", "errors", "skipped"))
    if problems:
        for problem in problems:
            print(f"check-junit: {problem}", file=sys.stderr)
        print(f"check-junit: {name}: FAILED ({summary})", file=sys.stderr)
        return 1
    print(f"check-junit: {name}: ok ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
