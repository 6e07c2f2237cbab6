#!/usr/bin/env python3
"""Verify a Loopgate audit export without Loopgate: Python 3 standard library only.

Usage:
    verify-audit.py EXPORT.ndjson [--checkpoints CHECKPOINTS.ndjson] [--key-file FILE] [--json]

EXPORT.ndjson is `loopgate audit export --format ndjson` (or GET /api/v1/audit/export?format=ndjson)
without filters. CHECKPOINTS.ndjson is the gateway's checkpoint sink (LOOPGATE_AUDIT_CHECKPOINT_FILE).
The key that signs checkpoints is read from --key-file or the LOOPGATE_AUDIT_KEY environment variable.

Record hash: lowercase hex SHA-256 of the UTF-8 bytes of the RFC 8785 (JCS) form of the record
without its "hash" member. Checkpoint signature: lowercase hex HMAC-SHA256(key, RFC 8785 form of the
checkpoint without "signature"). See docs/audit.md.

Exit status: 0 intact, 1 tampering found, 2 usage or unreadable input.
"""

import argparse
import hashlib
import hmac
import json
import math
import os
import sys

GENESIS_HASH = "0" * 64
MAX_FINDINGS = 100


# ---- RFC 8785 canonical JSON -------------------------------------------------------------------


def es_number(value):
    """ECMAScript Number.prototype.toString, as RFC 8785 section 3.2.2.3 requires."""
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValueError("NaN and Infinity are not JSON")
    if number == 0:
        return "0"
    if number < 0:
        return "-" + es_number(-number)
    mantissa, _, exponent = repr(number).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or "0")
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    k, n = len(digits), point
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    head = digits if k == 1 else digits[0] + "." + digits[1:]
    return head + "e" + sign + str(abs(e))


def canonical(value):
    """RFC 8785 text of a parsed JSON value."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return es_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical(item) for item in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(key, ensure_ascii=False) + ":" + canonical(value[key]) for key in keys) + "}"
    raise ValueError("not a JSON value: %r" % (value,))


def record_hash(record):
    content = {key: item for key, item in record.items() if key != "hash"}
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def checkpoint_valid(key, checkpoint):
    unsigned = {name: item for name, item in checkpoint.items() if name != "signature"}
    expected = hmac.new(key, canonical(unsigned).encode("utf-8"), hashlib.sha256).hexdigest()
    return isinstance(checkpoint.get("signature"), str) and hmac.compare_digest(expected, checkpoint["signature"])


# ---- The checks, in the order docs/audit.md gives them ----------------------------------------


class Trail:
    def __init__(self, checkpoints):
        self.findings = []
        self.count = 0
        self.checked = 0
        self.tip = (0, GENESIS_HASH)
        self.waiting = None
        self.skip = None
        self.checkpoint_at = {c["sequence"]: c for c in checkpoints}
        self.checkpoints = checkpoints
        self.last_checkpoint = 0
        self.rewriting = False
        self.last_sequence = 0

    def add(self, kind, sequence, detail, to_sequence=None):
        self.count += 1
        if len(self.findings) < MAX_FINDINGS:
            finding = {"kind": kind, "sequence": sequence, "detail": detail}
            if to_sequence is not None:
                finding["toSequence"] = to_sequence
            self.findings.append(finding)

    def next(self, record):
        self.checked += 1
        link = {
            "sequence": record["sequence"],
            "previousHash": record["previousHash"],
            "hash": record["hash"],
            "sealed": record_hash(record) == record["hash"],
        }
        if self.waiting is not None:
            self.judge(self.waiting, link)
        self.waiting = link

    def judge(self, link, following):
        if self.skip is link:
            self.skip = None
            self.last_sequence = link["sequence"]
            return
        tip_sequence, tip_hash = self.tip
        if link["sequence"] > tip_sequence + 1:
            last_missing = link["sequence"] - 1
            self.add(
                "deleted",
                tip_sequence + 1,
                "record(s) %d..%d missing between %d and %d" % (tip_sequence + 1, last_missing, tip_sequence, link["sequence"]),
                last_missing if last_missing > tip_sequence + 1 else None,
            )
        elif (
            link["previousHash"] != tip_hash
            and following is not None
            and following["previousHash"] == tip_hash
            and link["previousHash"] == following["hash"]
        ):
            self.add(
                "swapped",
                link["sequence"],
                "records %d and %d are in each other's place" % (link["sequence"], following["sequence"]),
                following["sequence"],
            )
            self.skip = following
            self.tip = (following["sequence"], link["hash"])
            self.last_sequence = link["sequence"]
            return
        elif not link["sealed"]:
            self.add("edited", link["sequence"], "record %d does not give its stored hash" % link["sequence"])
        elif link["previousHash"] != tip_hash:
            self.add(
                "re-sealed",
                tip_sequence,
                "record %d was sealed again after record %d linked to it" % (tip_sequence, link["sequence"]),
            )
        self.check_checkpoint(link)
        self.tip = (link["sequence"], link["hash"])
        self.last_sequence = link["sequence"]

    def check_checkpoint(self, link):
        checkpoint = self.checkpoint_at.get(link["sequence"])
        if checkpoint is None:
            return
        first = self.last_checkpoint + 1
        self.last_checkpoint = link["sequence"]
        if checkpoint["hash"] == link["hash"]:
            self.rewriting = False
            return
        if self.rewriting or not link["sealed"]:
            return
        self.rewriting = True
        self.add(
            "re-sealed",
            first,
            "record %d differs from the checkpoint signed at %s: records %d..%d were rewritten and sealed again"
            % (link["sequence"], checkpoint["time"], first, link["sequence"]),
            link["sequence"],
        )

    def result(self):
        if self.waiting is not None:
            self.judge(self.waiting, None)
            self.waiting = None
        covered = max([c["sequence"] for c in self.checkpoints] + [0])
        if covered > self.last_sequence:
            self.add(
                "truncated",
                self.last_sequence + 1,
                "records %d..%d are covered by a signed checkpoint but missing" % (self.last_sequence + 1, covered),
                covered,
            )
        latest = max(self.checkpoints, key=lambda c: c["sequence"], default=None)
        report = {
            "ok": self.count == 0,
            "checked": self.checked,
            "findings": self.findings,
            "checkpoints": {
                "checked": len(self.checkpoints),
                "unanchored": max(0, self.last_sequence - (latest["sequence"] if latest else 0)),
            },
        }
        if latest:
            report["checkpoints"]["latest"] = {"sequence": latest["sequence"], "time": latest["time"]}
        return report


def read_ndjson(path):
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line


def main(argv):
    parser = argparse.ArgumentParser(description="Verify a Loopgate audit export and its signed checkpoints.")
    parser.add_argument("export", help="NDJSON audit export, all records, oldest first")
    parser.add_argument("--checkpoints", help="checkpoint sink (NDJSON)")
    parser.add_argument("--key-file", help="file holding the audit key (default: LOOPGATE_AUDIT_KEY)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    try:
        forged = []
        checkpoints = []
        if args.checkpoints:
            if args.key_file:
                with open(args.key_file, encoding="utf-8") as handle:
                    key = handle.read().strip().encode("utf-8")
            elif os.environ.get("LOOPGATE_AUDIT_KEY"):
                key = os.environ["LOOPGATE_AUDIT_KEY"].encode("utf-8")
            else:
                print("verify-audit: --checkpoints needs the key (--key-file or LOOPGATE_AUDIT_KEY)", file=sys.stderr)
                return 2
            for number, line in read_ndjson(args.checkpoints):
                try:
                    checkpoint = json.loads(line)
                except ValueError:
                    checkpoint = None
                if isinstance(checkpoint, dict) and checkpoint.get("type") == "loopgate.audit.checkpoint" and checkpoint_valid(key, checkpoint):
                    checkpoints.append(checkpoint)
                else:
                    sequence = checkpoint.get("sequence") if isinstance(checkpoint, dict) else 0
                    forged.append({
                        "kind": "checkpoint-forged",
                        "sequence": sequence if isinstance(sequence, int) else 0,
                        "detail": "checkpoint line %d does not verify with the audit key" % number,
                    })
        trail = Trail(checkpoints)
        for _number, line in read_ndjson(args.export):
            trail.next(json.loads(line))
        report = trail.result()
    except (OSError, ValueError, KeyError, TypeError) as error:
        print("verify-audit: %s" % error, file=sys.stderr)
        return 2
    if forged:
        report["findings"] = forged + report["findings"]
        report["ok"] = False

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        anchored = report["checkpoints"]
        summary = "%d record(s), %d signed checkpoint(s), %d not yet anchored" % (
            report["checked"], anchored["checked"], anchored["unanchored"])
        if report["ok"]:
            print("audit trail intact: " + summary)
        else:
            print("audit trail BROKEN: " + summary)
            for finding in report["findings"]:
                span = "%d..%d" % (finding["sequence"], finding["toSequence"]) if "toSequence" in finding else str(finding["sequence"])
                print("  %s record %s: %s" % (finding["kind"].upper(), span, finding["detail"]))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
